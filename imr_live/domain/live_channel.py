"""The live channel's domain: commands in, logged events out, state kept per session.

Every command is validated, checked against the sender's role, appended to the
session log (durably), folded into the live state and only then broadcast and
acknowledged. Commands of one session are serialized by its lock, so the log's
order is the order everyone sees.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from imr_live.domain import commands as c
from imr_live.domain.care_records import CareRecords
from imr_live.domain.channel_core import PRIVATE, ROOM, STAFF, STAFF_ROLES, LiveSession
from imr_live.domain.coordination import Coordination
from imr_live.domain.fanout import Fanout, MediaHooks
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_state import ADMITTED, REMOVED, WAITING
from imr_live.domain.presentation import Presentation
from imr_live.domain.roles import LEADS, Role, allowed
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.seat import Seat
from imr_live.domain.sessions import Sessions, SessionStatus
from imr_live.errors import Conflict, Forbidden, InvalidInput, Unavailable
from imr_live.store.session_log import SessionLog

log = logging.getLogger("imr_live.live")

Handler = Callable[[Seat, LiveSession, Any], Awaitable[dict[str, Any]]]


class LiveChannel(Presentation, CareRecords):
    """Runs every live session of this node."""

    def __init__(
        self,
        log_store: SessionLog,
        sessions: Sessions,
        links: JoinLinks,
        fanout: Fanout,
        scripts: ScriptLibrary | None = None,
        media: MediaHooks | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        super().__init__(log_store, sessions, links, fanout, scripts, media, coordination)
        self._handlers: dict[str, tuple[type[c.Command], Handler]] = {
            "leave": (c.Empty, self._leave),
            "consent.set": (c.Consent, self._consent),
            "waiting.admit": (c.Target, self._admit),
            "waiting.deny": (c.Target, self._deny),
            "session.lock": (c.Lock, self._lock),
            "session.end": (c.Empty, self._end),
            "slide.show": (c.ShowSlide, self._show_slide),
            "roleplay.start": (c.StartRolePlay, self._start_role_play),
            "roleplay.step": (c.Step, self._step_role_play),
            "roleplay.end": (c.Empty, self._end_role_play),
            "hand.raise": (c.Empty, self._raise_hand),
            "hand.lower": (c.Hand, self._lower_hand),
            "chat.send": (c.Chat, self._chat),
            "participant.rename": (c.Rename, self._rename),
            "participant.mute_request": (c.MuteRequest, self._mute_request),
            "participant.remove": (c.Target, self._remove),
            "assignment.give": (c.GiveAssignment, self._give_assignment),
            "assignment.review": (c.ReviewAssignment, self._review_assignment),
            "goal.note": (c.NoteGoal, self._note_goal),
            "goal.update": (c.UpdateGoal, self._update_goal),
            "scale.record": (c.RecordScale, self._record_scale),
            "recording.set": (c.SetRecording, self._set_recording),
            "media.server_mute": (c.ServerMute, self._server_mute),
        }

    @property
    def actions(self) -> list[str]:
        """Names of every command this channel takes besides ``join``."""
        return sorted(self._handlers)

    # -- lifecycle -----------------------------------------------------------------

    async def recover(self) -> int:
        """After a restart: whoever was in a live session with no connection left has dropped."""
        count = 0
        for session in await self.sessions.live():
            async with self.session(session.id) as live:
                connected = set(await self.coord.connected(session.id))
                for person in list(live.state.people.values()):
                    kind = {ADMITTED: "participant.dropped", WAITING: "participant.left"}
                    if person.status in kind and person.id not in connected:
                        data = {"participant": person.id, "reason": "server_restart"}
                        await self._append(live, "system", kind[person.status], data)
                        count += 1
        return count

    # -- connections -----------------------------------------------------------------

    async def join(self, seat: Seat, conn_id: str, payload: Any) -> dict[str, Any]:
        """Enter the session on a connection; guests wait until admitted."""
        cmd = c.parse(c.Join, payload)
        async with self.session(seat.session_id) as live:
            status = await self._enter(seat, live, cmd)
            await self.coord.add_connection(seat.session_id, seat.participant_id, conn_id)
            if cmd.consent is not None and self._person_consent(live, seat) != cmd.consent:
                data = {"participant": seat.participant_id, "recording": cmd.consent}
                await self._record(live, seat.participant_id, "consent.set", data, ROOM)
            if status == ADMITTED:
                await self.fanout.enter_room(
                    seat.session_id, seat.participant_id, self._is_staff(seat)
                )
            return self._welcome(seat, live, status)

    async def disconnect(self, seat: Seat, conn_id: str) -> None:
        """A connection closed: the last one going without ``leave`` is a drop."""
        try:
            left = await self.coord.remove_connection(seat.session_id, seat.participant_id, conn_id)
            if left == 0:
                await self.connection_lost(seat.session_id, seat.participant_id)
        except Unavailable:
            # Redis or the log is down: the drop is recorded once they are back.
            self.coord.report_later(seat.session_id, seat.participant_id, conn_id)
            raise

    async def connection_lost(
        self, session_id: str, participant_id: str, closed_at: int | None = None
    ) -> None:
        """A participant has no connection left (closed, or its node died): log the drop.

        ``closed_at`` (µs since the epoch) is given when the drop is recorded late, after
        Redis or the log store was down; attendance counts presence up to it.
        """
        async with self.session(session_id) as live:
            person = live.state.person(participant_id)
            if person is None or live.state.status == "ended":
                return
            if await self.coord.connections(session_id, participant_id):
                return  # came back on another connection meanwhile
            data: dict[str, Any] = {"participant": participant_id, "reason": "disconnected"}
            if closed_at is not None:
                data["closed_at"] = closed_at
            if person.status == ADMITTED:
                await self._record(live, participant_id, "participant.dropped", data, ROOM)
                await self._media_gone(session_id, participant_id)
            elif person.status == WAITING:
                await self._record(live, participant_id, "participant.left", data, STAFF)

    async def command(self, seat: Seat, action: str, payload: Any) -> dict[str, Any]:
        """Run one command: validate, check role and state, log, apply, broadcast."""
        entry = self._handlers.get(action)
        if entry is None:
            raise InvalidInput(f"unknown event '{action[:40]}'", code="unknown_event")
        model, handler = entry
        if not allowed(action, seat.role):
            raise Forbidden(f"a {seat.role.value} may not do '{action}'")
        cmd = c.parse(model, payload)
        async with self.session(seat.session_id) as live:
            self._require_in_room(seat, live, action)
            result = await handler(seat, live, cmd)
            cut, live.to_disconnect = live.to_disconnect, []
        for pid in cut:
            await self.fanout.disconnect(seat.session_id, pid)
        return result

    # -- entering ------------------------------------------------------------------

    async def _enter(self, seat: Seat, live: LiveSession, cmd: c.Join) -> str:
        state, pid = live.state, seat.participant_id
        if state.status == "ended":
            raise Conflict("this session has ended", code="session_ended")
        person = state.person(pid)
        if person is not None and person.status == REMOVED:
            raise Forbidden("you were removed from this session", code="removed")
        if person is not None and person.status in (ADMITTED, WAITING):
            return person.status
        if person is not None and person.ever_admitted:
            await self._record(live, pid, "participant.rejoined", {"participant": pid}, ROOM)
            return ADMITTED
        return await self._arrive(seat, live, cmd)

    async def _arrive(self, seat: Seat, live: LiveSession, cmd: c.Join) -> str:
        name = cmd.display_name or seat.default_name
        if not name:
            raise InvalidInput("display_name: please tell us what to call you")
        waits = not self._is_staff(seat)
        if waits and live.state.locked:
            raise Forbidden("this session is locked; ask the leader to unlock it", code="locked")
        if seat.role is Role.LEADER and live.state.status == "scheduled":
            await self._append(live, seat.participant_id, "session.started", {})
            await self.sessions.set_status(seat.session_id, SessionStatus.LIVE)
        data = {
            "participant": seat.participant_id,
            "role": seat.role.value,
            "display_name": name,
            "waiting": waits,
        }
        await self._record(
            live, seat.participant_id, "participant.joined", data, STAFF if waits else ROOM
        )
        return WAITING if waits else ADMITTED

    def _welcome(self, seat: Seat, live: LiveSession, status: str) -> dict[str, Any]:
        person = live.state.people[seat.participant_id]
        out: dict[str, Any] = {
            "status": status,
            "you": person.as_dict(),
            "session": {
                k: v
                for k, v in seat.session.as_dict().items()
                if k in ("id", "title", "format", "script_ref")
            },
        }
        if status == ADMITTED:
            out["state"] = self.state_for(seat, live)
            if self.ice_servers_for is not None:
                out["ice_servers"] = self.ice_servers_for(seat.participant_id)
        return out

    # -- command handlers -------------------------------------------------------------

    async def _leave(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> dict[str, Any]:
        pid = seat.participant_id
        was_waiting = live.state.people[pid].status == WAITING
        await self._record(
            live,
            pid,
            "participant.left",
            {"participant": pid, "reason": "left"},
            STAFF if was_waiting else ROOM,
        )
        await self.fanout.leave_room(seat.session_id, pid)
        await self._media_gone(seat.session_id, pid)
        return {}

    async def _consent(self, seat: Seat, live: LiveSession, cmd: c.Consent) -> dict[str, Any]:
        pid = seat.participant_id
        ev = await self._record(
            live,
            pid,
            "consent.set",
            {"participant": pid, "recording": cmd.recording},
            ROOM if live.state.people[pid].present else STAFF,
        )
        if live.state.recording and self.media is not None:
            await self.media.set_recording(
                seat.session_id, seat.participant_id, True, self._consenting(live)
            )
        return {"seq": ev.seq}

    async def _admit(self, seat: Seat, live: LiveSession, cmd: c.Target) -> dict[str, Any]:
        self._waiting_person(live, cmd.participant)
        ev = await self._append(
            live, seat.participant_id, "participant.admitted", {"participant": cmd.participant}
        )
        await self.fanout.enter_room(seat.session_id, cmd.participant, False)
        await self._publish(live, ev, ROOM)
        target_seat = Seat(
            seat.session, cmd.participant, live.state.people[cmd.participant].role, False
        )
        welcome = self._welcome(target_seat, live, ADMITTED)
        await self.fanout.to_participant(seat.session_id, cmd.participant, "admitted", welcome)
        return {"seq": ev.seq}

    async def _deny(self, seat: Seat, live: LiveSession, cmd: c.Target) -> dict[str, Any]:
        self._waiting_person(live, cmd.participant)
        ev = await self._record(
            live, seat.participant_id, "participant.denied", {"participant": cmd.participant}, STAFF
        )
        await self.fanout.to_participant(
            seat.session_id, cmd.participant, "denied", {"seq": ev.seq}
        )
        live.to_disconnect.append(cmd.participant)
        return {"seq": ev.seq}

    async def _lock(self, seat: Seat, live: LiveSession, cmd: c.Lock) -> dict[str, Any]:
        if live.state.locked == cmd.locked:
            raise Conflict(f"the session is already {'locked' if cmd.locked else 'unlocked'}")
        ev = await self._record(
            live, seat.participant_id, "session.locked", {"locked": cmd.locked}, ROOM
        )
        return {"seq": ev.seq}

    async def _end(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> dict[str, Any]:
        if live.state.recording:
            await self._record(
                live, seat.participant_id, "recording.stopped", {"reason": "session_ended"}, ROOM
            )
        ev = await self._record(live, seat.participant_id, "session.ended", {}, ROOM)
        await self.sessions.set_status(seat.session_id, SessionStatus.ENDED)
        if self.media is not None:
            await self.media.session_ended(seat.session_id)
        # The leader's own connection stays open so the ack reaches it; every
        # later command is refused because the session has ended.
        connected = await self.coord.connected(seat.session_id)
        live.to_disconnect.extend(p for p in connected if p != seat.participant_id)
        return {"seq": ev.seq}

    async def _raise_hand(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> dict[str, Any]:
        if seat.participant_id in live.state.hands:
            raise Conflict("your hand is already up")
        ev = await self._record(
            live, seat.participant_id, "hand.raised", {"participant": seat.participant_id}, ROOM
        )
        return {"seq": ev.seq}

    async def _lower_hand(self, seat: Seat, live: LiveSession, cmd: c.Hand) -> dict[str, Any]:
        target = cmd.participant or seat.participant_id
        if target != seat.participant_id and seat.role not in LEADS:
            raise Forbidden("only leaders lower someone else's hand")
        if target not in live.state.hands:
            raise Conflict("that hand is not up")
        ev = await self._record(
            live, seat.participant_id, "hand.lowered", {"participant": target}, ROOM
        )
        return {"seq": ev.seq}

    async def _chat(self, seat: Seat, live: LiveSession, cmd: c.Chat) -> dict[str, Any]:
        ev = await self._record(live, seat.participant_id, "chat.sent", {"text": cmd.text}, ROOM)
        return {"seq": ev.seq}

    async def _rename(self, seat: Seat, live: LiveSession, cmd: c.Rename) -> dict[str, Any]:
        self._known_person(live, cmd.participant)
        data = {"participant": cmd.participant, "display_name": cmd.display_name}
        ev = await self._record(live, seat.participant_id, "participant.renamed", data, ROOM)
        return {"seq": ev.seq}

    async def _mute_request(
        self, seat: Seat, live: LiveSession, cmd: c.MuteRequest
    ) -> dict[str, Any]:
        if not self._known_person(live, cmd.participant).present:
            raise Conflict("that person is not in the room")
        data = {"participant": cmd.participant, "kind": cmd.kind}
        ev = await self._record(live, seat.participant_id, "mute.requested", data, PRIVATE)
        return {"seq": ev.seq}

    async def _remove(self, seat: Seat, live: LiveSession, cmd: c.Target) -> dict[str, Any]:
        person = self._known_person(live, cmd.participant)
        if person.role in STAFF_ROLES or person.status == REMOVED:
            raise Conflict("that person cannot be removed")
        await self.links.revoke(cmd.participant)
        ev = await self._record(
            live, seat.participant_id, "participant.removed", {"participant": cmd.participant}, ROOM
        )
        await self.fanout.to_participant(
            seat.session_id, cmd.participant, "removed", {"seq": ev.seq}
        )
        await self._media_gone(seat.session_id, cmd.participant)
        live.to_disconnect.append(cmd.participant)
        return {"seq": ev.seq}

    async def _set_recording(
        self, seat: Seat, live: LiveSession, cmd: c.SetRecording
    ) -> dict[str, Any]:
        if live.state.recording == cmd.on:
            raise Conflict(f"recording is already {'on' if cmd.on else 'off'}")
        if self.media is None:
            raise Unavailable("recording needs the media server, which is not running")
        allowed_ids = self._consenting(live)
        if cmd.on and not allowed_ids:
            raise Conflict("nobody here has agreed to be recorded", code="no_consent")
        await self.media.set_recording(
            seat.session_id, seat.participant_id, cmd.on, allowed_ids if cmd.on else []
        )
        kind = "recording.started" if cmd.on else "recording.stopped"
        ev = await self._record(
            live, seat.participant_id, kind, {"participants": allowed_ids} if cmd.on else {}, ROOM
        )
        return {"seq": ev.seq}

    async def _server_mute(
        self, seat: Seat, live: LiveSession, cmd: c.ServerMute
    ) -> dict[str, Any]:
        if not self._known_person(live, cmd.participant).present:
            raise Conflict("that person is not in the room")
        if self.media is None:
            raise Unavailable("the media server is not running")
        await self.media.server_mute(
            seat.session_id, seat.participant_id, cmd.participant, cmd.kind, cmd.muted
        )
        data = {"participant": cmd.participant, "kind": cmd.kind, "muted": cmd.muted}
        ev = await self._record(live, seat.participant_id, "media.muted", data, ROOM)
        return {"seq": ev.seq}


__all__ = ["LiveChannel", "LiveSession"]
