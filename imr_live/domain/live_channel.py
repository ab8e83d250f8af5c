"""The live channel's domain: commands in, logged events out, state kept per session.

Every command is validated, checked against the sender's role, appended to the
session log (durably), folded into the live state and only then broadcast and
acknowledged. Commands of one session are serialized by its lock, so the log's
order is the order everyone sees.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain import commands as c
from imr_live.domain.coordination import Coordination, MemoryCoordination
from imr_live.domain.fanout import Fanout, MediaHooks
from imr_live.domain.ids import new_id
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_state import ADMITTED, DENIED, REMOVED, WAITING, LiveState
from imr_live.domain.roles import LEADS, Role, allowed
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.seat import Seat
from imr_live.domain.sessions import Sessions, SessionStatus
from imr_live.domain.telemetry import NO_TELEMETRY, Telemetry
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from imr_live.store.session_log import LogEvent, SessionLog

log = logging.getLogger("imr_live.live")

ROOM, STAFF, PRIVATE = "room", "staff", "private"
STAFF_ROLES = frozenset({Role.LEADER, Role.CO_LEADER, Role.SUPERVISOR})


@dataclass
class LiveSession:
    """One session's live state, as this node last caught up with the log."""

    state: LiveState
    to_disconnect: list[str] = field(default_factory=list)
    """Participants to cut off once the session lock is released (their disconnect needs it)."""


Handler = Callable[[Seat, LiveSession, Any], Awaitable[dict[str, Any]]]


class LiveChannel:
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
        self.log = log_store
        self.sessions = sessions
        self.links = links
        self.fanout = fanout
        self.scripts = scripts
        self.media = media
        self.coord: Coordination = coordination or MemoryCoordination()
        self.telemetry: Telemetry = NO_TELEMETRY
        self.ice_servers_for: Callable[[str], list[dict[str, Any]]] | None = None
        """Fills ``ice_servers`` (e.g. TURN credentials) in an admitted participant's welcome."""
        self._live: dict[str, LiveSession] = {}
        self._loading = asyncio.Lock()
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

    async def live(self, session_id: str) -> LiveSession:
        """The live session, rebuilt from its log the first time it is needed."""
        found = self._live.get(session_id)
        if found is not None:
            return found
        async with self._loading:
            if session_id not in self._live:
                state = LiveState(session_id)
                for event in await self.log.read(session_id):
                    state.apply(event)
                self._live[session_id] = LiveSession(state)
        return self._live[session_id]

    @contextlib.asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[LiveSession]:
        """Hold the session's writer lock with its state caught up with the log."""
        async with self.coord.session_lock(session_id):
            live = await self.live(session_id)
            if self.coord.shared:
                for event in await self.log.read(session_id, after_seq=live.state.last_seq):
                    live.state.apply(event)
            yield live

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
        left = await self.coord.remove_connection(seat.session_id, seat.participant_id, conn_id)
        if left == 0:
            await self.connection_lost(seat.session_id, seat.participant_id)

    async def connection_lost(self, session_id: str, participant_id: str) -> None:
        """A participant has no connection left (closed, or its node died): log the drop."""
        async with self.session(session_id) as live:
            person = live.state.person(participant_id)
            if person is None or live.state.status == "ended":
                return
            if await self.coord.connections(session_id, participant_id):
                return  # came back on another connection meanwhile
            data = {"participant": participant_id, "reason": "disconnected"}
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

    def state_for(self, seat: Seat, live: LiveSession) -> dict[str, Any]:
        """The snapshot a seat may see."""
        snap = live.state.snapshot(for_staff=self._is_staff(seat))
        if snap["slide"] and self.scripts is not None:
            snap["slide"] = {
                **snap["slide"],
                "content": self.scripts.slide(snap["slide"]["slide_id"]),
            }
        return snap

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

    async def _show_slide(self, seat: Seat, live: LiveSession, cmd: c.ShowSlide) -> dict[str, Any]:
        scripts = self._scripts()
        deck_ref = cmd.deck or seat.session.script_ref
        if deck_ref is None:
            raise Conflict("this session has no script; name a deck", code="no_script")
        deck = scripts.deck(deck_ref)
        index = self._slide_index(deck, cmd)
        data = {"deck": deck_ref, "slide_id": deck[index], "index": index, "count": len(deck)}
        ev = await self._record(live, seat.participant_id, "slide.shown", data, ROOM)
        return {"seq": ev.seq, "slide_id": deck[index], "index": index}

    @staticmethod
    def _slide_index(deck: list[str], cmd: c.ShowSlide) -> int:
        if (cmd.index is None) == (cmd.slide_id is None):
            raise InvalidInput("give either index or slide_id")
        if cmd.slide_id is not None:
            if cmd.slide_id not in deck:
                raise NotFound("that slide is not in this deck")
            return deck.index(cmd.slide_id)
        assert cmd.index is not None
        if cmd.index >= len(deck):
            raise InvalidInput(f"index: this deck has {len(deck)} slides (0-{len(deck) - 1})")
        return cmd.index

    async def _start_role_play(
        self, seat: Seat, live: LiveSession, cmd: c.StartRolePlay
    ) -> dict[str, Any]:
        if live.state.role_play is not None:
            raise Conflict("a role play is already running; end it first")
        play = self._role_play_content(cmd)
        names = {r["name"] for r in play["roles"]}
        for role_name, pid in cmd.cast.items():
            if role_name not in names:
                raise InvalidInput(f"cast: '{role_name[:40]}' is not a role in this role play")
            person = live.state.person(pid)
            if person is None or not person.present:
                raise NotFound(f"cast: participant {pid} is not in the room")
        data = {**play, "cast": dict(cmd.cast)}
        ev = await self._record(live, seat.participant_id, "roleplay.started", data, ROOM)
        return {"seq": ev.seq}

    def _role_play_content(self, cmd: c.StartRolePlay) -> dict[str, Any]:
        if cmd.role_play_id is not None:
            return self._scripts().role_play(cmd.role_play_id)
        if not (cmd.title and cmd.scenario and cmd.roles and cmd.steps):
            raise InvalidInput("give role_play_id, or title, scenario, roles and steps")
        return {
            "id": None,
            "title": cmd.title,
            "scenario": cmd.scenario,
            "roles": [r.model_dump() for r in cmd.roles],
            "steps": [{"kind": "step", "text": t} for t in cmd.steps],
        }

    async def _step_role_play(self, seat: Seat, live: LiveSession, cmd: c.Step) -> dict[str, Any]:
        play = live.state.role_play
        if play is None:
            raise Conflict("no role play is running", code="out_of_order")
        if cmd.step >= len(play["steps"]):
            raise InvalidInput(f"step: this role play has {len(play['steps'])} steps")
        ev = await self._record(
            live, seat.participant_id, "roleplay.stepped", {"step": cmd.step}, ROOM
        )
        return {"seq": ev.seq}

    async def _end_role_play(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> dict[str, Any]:
        if live.state.role_play is None:
            raise Conflict("no role play is running", code="out_of_order")
        ev = await self._record(live, seat.participant_id, "roleplay.ended", {}, ROOM)
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

    async def _give_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.GiveAssignment
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        aid = new_id("a")
        data = {
            "participant": cmd.participant,
            "assignment_id": aid,
            "text": cmd.text,
            "ref": cmd.ref,
        }
        ev = await self._record(live, seat.participant_id, "assignment.given", data, PRIVATE)
        return {"seq": ev.seq, "assignment_id": aid}

    async def _review_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.ReviewAssignment
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        data = cmd.model_dump()
        ev = await self._record(live, seat.participant_id, "assignment.reviewed", data, PRIVATE)
        return {"seq": ev.seq}

    async def _note_goal(self, seat: Seat, live: LiveSession, cmd: c.NoteGoal) -> dict[str, Any]:
        self._client(live, cmd.participant)
        gid = new_id("g")
        data = {**cmd.model_dump(), "goal_id": gid}
        ev = await self._record(live, seat.participant_id, "goal.noted", data, PRIVATE)
        return {"seq": ev.seq, "goal_id": gid}

    async def _update_goal(
        self, seat: Seat, live: LiveSession, cmd: c.UpdateGoal
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        ev = await self._record(
            live, seat.participant_id, "goal.updated", cmd.model_dump(), PRIVATE
        )
        return {"seq": ev.seq}

    async def _record_scale(
        self, seat: Seat, live: LiveSession, cmd: c.RecordScale
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        if seat.role is Role.CLIENT and (cmd.participant, cmd.rater) != (
            seat.participant_id,
            "client",
        ):
            raise Forbidden("a client records only their own rating")
        data = {**cmd.model_dump(), "total": sum(cmd.items)}
        ev = await self._record(live, seat.participant_id, "scale.recorded", data, PRIVATE)
        return {"seq": ev.seq, "total": data["total"]}

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

    # -- helpers -----------------------------------------------------------------------

    async def _append(
        self, live: LiveSession, actor: str, kind: str, data: dict[str, Any]
    ) -> LogEvent:
        started = time.perf_counter()
        event = await self.log.append(live.state.session_id, actor, kind, data)
        self.telemetry.log_appended(time.perf_counter() - started)
        live.state.apply(event)
        return event

    async def _record(
        self, live: LiveSession, actor: str, kind: str, data: dict[str, Any], audience: str
    ) -> LogEvent:
        """Append durably, fold into state, then tell whoever should hear it."""
        event = await self._append(live, actor, kind, data)
        await self._publish(live, event, audience)
        return event

    async def _publish(self, live: LiveSession, event: LogEvent, audience: str) -> None:
        sid = event.session_id
        wire = self._wire(event)
        if audience == ROOM:
            await self.fanout.to_room(sid, "event", wire)
            return
        await self.fanout.to_staff(sid, "event", wire)
        target = event.data.get("participant")
        person = live.state.person(target) if isinstance(target, str) else None
        if person is not None and person.role not in STAFF_ROLES and audience == PRIVATE:
            await self.fanout.to_participant(sid, person.id, "event", wire)

    def _wire(self, event: LogEvent) -> dict[str, Any]:
        wire = {
            "seq": event.seq,
            "at": event.at,
            "actor": event.actor,
            "kind": event.kind,
            "data": event.data,
        }
        if event.kind == "slide.shown" and self.scripts is not None:
            wire["content"] = self.scripts.slide(event.data["slide_id"])
        return wire

    def _require_in_room(self, seat: Seat, live: LiveSession, action: str) -> None:
        person = live.state.person(seat.participant_id)
        if live.state.status == "ended":
            raise Conflict("this session has ended", code="session_ended")
        if person is None:
            raise Conflict("join the session first", code="not_joined")
        if person.status == REMOVED:
            raise Forbidden("you were removed from this session", code="removed")
        if action in ("leave", "consent.set") and person.status in (ADMITTED, WAITING):
            return
        if person.status != ADMITTED:
            raise Conflict("wait until you are admitted", code="not_admitted")

    def _waiting_person(self, live: LiveSession, pid: str) -> None:
        person = live.state.person(pid)
        if person is None or person.status != WAITING:
            raise Conflict("that person is not in the waiting room")

    def _known_person(self, live: LiveSession, pid: str) -> Any:
        person = live.state.person(pid)
        if person is None:
            raise NotFound("no such participant in this session")
        return person

    def _client(self, live: LiveSession, pid: str) -> None:
        if self._known_person(live, pid).role is not Role.CLIENT:
            raise InvalidInput("participant: assignments and goals are for clients")

    def _scripts(self) -> ScriptLibrary:
        if self.scripts is None:
            raise Unavailable("session scripts are not loaded")
        return self.scripts

    def _consenting(self, live: LiveSession) -> list[str]:
        return [p.id for p in live.state.people.values() if p.present and p.consent is True]

    @staticmethod
    def _person_consent(live: LiveSession, seat: Seat) -> bool | None:
        return live.state.people[seat.participant_id].consent

    @staticmethod
    def _is_staff(seat: Seat) -> bool:
        return seat.role in STAFF_ROLES

    async def _media_gone(self, session_id: str, pid: str) -> None:
        if self.media is not None:
            await self.media.participant_gone(session_id, pid)


__all__ = ["DENIED", "LiveChannel", "LiveSession"]
