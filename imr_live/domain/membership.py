"""Who is in a session: joining, the waiting room, leaving, dropping, removal, lock and end."""

from __future__ import annotations

import logging
from typing import TypeVar

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.clock import now_us
from imr_live.domain.events import Farewell, Logged, NoResult, SessionView, Welcome
from imr_live.domain.live_state import ADMITTED, DENIED, REMOVED, WAITING
from imr_live.domain.recorder import (
    STAFF_ROLES,
    Audience,
    Handler,
    LiveSession,
    SessionRecorder,
    is_staff,
)
from imr_live.domain.roles import Role
from imr_live.domain.screen_share import end_on_departure
from imr_live.domain.seat import Seat
from imr_live.domain.sessions import SessionStatus
from imr_live.errors import Conflict, Forbidden, ImrError, InvalidInput, Unavailable
from imr_live.store.session_log import LogEvent

log = logging.getLogger("imr_live.live")
ROOM, STAFF, PRIVATE = Audience.ROOM, Audience.STAFF, Audience.PRIVATE
D = TypeVar("D", bound=e.Departure)


class Membership:
    """Arrivals, the waiting room and departures of one node's live sessions."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "leave": self.leave,
            "consent.set": self.consent,
            "waiting.admit": self.admit,
            "waiting.deny": self.deny,
            "session.lock": self.lock,
            "session.end": self.end,
            "participant.rename": self.rename,
            "participant.remove": self.remove,
        }

    # -- connections -----------------------------------------------------------------

    async def join(self, seat: Seat, conn_id: str, cmd: c.Join) -> Welcome:
        """Enter the session on a connection; guests wait until admitted."""
        async with self.r.session(seat.session_id) as live:
            status = await self._enter(seat, live, cmd)
            await self.r.coord.add_connection(seat.session_id, seat.participant_id, conn_id)
            person = live.state.people[seat.participant_id]
            if cmd.consent is not None and person.consent != cmd.consent:
                data = e.ConsentSet(participant=seat.participant_id, recording=cmd.consent)
                await self.r.record(live, seat.participant_id, data, ROOM)
            if status == ADMITTED:
                await self.r.fanout.enter_room(seat.session_id, seat.participant_id, is_staff(seat))
            welcome = self.welcome(seat, live, status)
            if status == WAITING and seat.role is Role.GUEST_SPEAKER:
                invite = await self.r.links.get(seat.participant_id)
                if invite.window_start is not None and invite.window_start > now_us():
                    welcome = welcome.model_copy(update={"guest_time": invite.window_start})
            return welcome

    async def disconnect(self, seat: Seat, conn_id: str) -> None:
        """A connection closed: the last one going without ``leave`` is a drop."""
        coord = self.r.coord
        try:
            left = await coord.remove_connection(seat.session_id, seat.participant_id, conn_id)
            if left == 0:
                await self.connection_lost(seat.session_id, seat.participant_id)
        except Unavailable:
            # Redis or the log is down: the drop is recorded once they are back.
            coord.report_later(seat.session_id, seat.participant_id, conn_id)
            raise

    async def connection_lost(
        self, session_id: str, participant_id: str, closed_at: int | None = None
    ) -> None:
        """A participant has no connection left (closed, or its node died): log the drop.

        ``closed_at`` (µs since the epoch) is given when the drop is recorded late, after
        Redis or the log store was down; attendance counts presence up to it.
        """
        async with self.r.session(session_id) as live:
            person = live.state.person(participant_id)
            if person is None or live.state.status == "ended":
                return
            if await self.r.coord.connections(session_id, participant_id):
                return  # came back on another connection meanwhile
            if person.status == ADMITTED:
                await end_on_departure(self.r, live, participant_id)
                dropped = departure(e.ParticipantDropped, participant_id, "disconnected", closed_at)
                await self.r.record(live, participant_id, dropped, ROOM)
                await self.r.media_gone(session_id, participant_id)
            elif person.status == WAITING:
                left = departure(e.ParticipantLeft, participant_id, "disconnected", closed_at)
                await self.r.record(live, participant_id, left, STAFF)

    async def recover(self) -> int:
        """After a restart: whoever was in a live session with no connection left has dropped."""
        count = 0
        for session in await self.r.sessions.live():
            async with self.r.session(session.id) as live:
                connected = set(await self.r.coord.connected(session.id))
                for person in list(live.state.people.values()):
                    if person.id in connected:
                        continue
                    kind = {ADMITTED: e.ParticipantDropped, WAITING: e.ParticipantLeft}
                    if person.status in kind:
                        data = departure(kind[person.status], person.id, "server_restart")
                        await self.r.append(live, "system", data)
                        count += 1
        return count

    # -- entering ------------------------------------------------------------------

    async def _enter(self, seat: Seat, live: LiveSession, cmd: c.Join) -> str:
        state, pid = live.state, seat.participant_id
        if state.status == "ended":
            raise Conflict("this session has ended", code="session_ended")
        person = state.person(pid)
        if person is not None and person.status == REMOVED:
            raise Forbidden("you were removed from this session", code="removed")
        if person is not None and person.status == DENIED:
            raise Forbidden("the leader did not let you in to this session", code="denied")
        if person is not None and person.status == WAITING and await self._guest_in_window(seat):
            # A guest speaker came early and waited: their time has come, so they come in.
            await self.r.record(live, pid, e.ParticipantAdmitted(participant=pid), ROOM)
            await self.introduce(live, pid, pid)
            return ADMITTED
        if person is not None and person.status in (ADMITTED, WAITING):
            return person.status
        if person is not None and person.ever_admitted:
            await self.r.record(live, pid, e.ParticipantRejoined(participant=pid), ROOM)
            return ADMITTED
        return await self._arrive(seat, live, cmd)

    async def _arrive(self, seat: Seat, live: LiveSession, cmd: c.Join) -> str:
        name = cmd.display_name or seat.default_name
        if not name:
            raise InvalidInput("display_name: please tell us what to call you")
        waits = not is_staff(seat) and not await self._guest_in_window(seat)
        if not is_staff(seat) and live.state.locked:
            raise Forbidden("this session is locked; ask the leader to unlock it", code="locked")
        if seat.role is Role.LEADER and live.state.status == "scheduled":
            await self.r.append(live, seat.participant_id, e.SessionStarted())
            await self.r.sessions.set_status(seat.session_id, SessionStatus.LIVE)
        data = e.ParticipantJoined(
            participant=seat.participant_id,
            role=seat.role,
            display_name=name,
            waiting=waits,
            via=cmd.via,
        )
        if seat.role is Role.INTERPRETER:
            data = await self._interpreting(seat, data)
        await self.r.record(live, seat.participant_id, data, STAFF if waits else ROOM)
        if not waits:
            await self.introduce(live, seat.participant_id, seat.participant_id)
        return WAITING if waits else ADMITTED

    async def _guest_in_window(self, seat: Seat) -> bool:
        """True for a guest speaker whose link's time window is open now."""
        if seat.role is not Role.GUEST_SPEAKER:
            return False
        invite = await self.r.links.get(seat.participant_id)
        return invite.window_open()

    async def introduce(self, live: LiveSession, by: str, pid: str) -> None:
        """Tell the room a guest speaker came in (the first time only; not staff)."""
        person = live.state.people[pid]
        if person.role is Role.GUEST_SPEAKER:
            data = e.GuestIntroduced(participant=pid, display_name=person.display_name)
            await self.r.record(live, by, data, ROOM)

    async def _interpreting(self, seat: Seat, data: e.ParticipantJoined) -> e.ParticipantJoined:
        """An interpreter's arrival names their language and whom they interpret for."""
        invite = await self.r.links.get(seat.participant_id)
        extra = {"language": invite.language, "interprets_for": invite.interprets_for}
        return data.model_copy(update={k: v for k, v in extra.items() if v is not None})

    def welcome(self, seat: Seat, live: LiveSession, status: str) -> Welcome:
        """What a person is told on joining or admission: who they are and what is on."""
        person = live.state.people[seat.participant_id]
        session = seat.session
        view = SessionView(
            id=session.id,
            title=session.title,
            format=session.format.value,
            script_ref=session.script_ref,
        )
        if status != ADMITTED:
            return Welcome(status="waiting", you=person.view(), session=view)
        welcome = Welcome(
            status="admitted", you=person.view(), session=view, state=self.r.state_for(seat, live)
        )
        ice = self.r.ice_servers_for
        if ice is not None:
            welcome = welcome.model_copy(update={"ice_servers": ice(seat.participant_id)})
        return welcome

    # -- commands ------------------------------------------------------------------

    async def leave(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> NoResult:
        """Leave on purpose: out of the room (or the waiting room), media closed."""
        pid = seat.participant_id
        was_waiting = live.state.people[pid].status == WAITING
        await end_on_departure(self.r, live, pid)
        data = e.ParticipantLeft(participant=pid, reason="left")
        await self.r.record(live, pid, data, STAFF if was_waiting else ROOM)
        await self.r.fanout.leave_room(seat.session_id, pid)
        await self.r.media_gone(seat.session_id, pid)
        return NoResult()

    async def consent(self, seat: Seat, live: LiveSession, cmd: c.Consent) -> Logged:
        """Give or decline consent to recording; a running recording follows it."""
        pid = seat.participant_id
        audience = ROOM if live.state.people[pid].present else STAFF
        data = e.ConsentSet(participant=pid, recording=cmd.recording)
        ev = await self.r.record(live, pid, data, audience)
        if live.state.recording and self.r.media is not None:
            # The consent is logged whatever the media server says: refusing it now would
            # contradict the log. Who is recorded follows in the name of who started it.
            by = live.state.recording_by or pid
            try:
                await self.r.media.set_recording(seat.session_id, by, True, self.r.consenting(live))
            except ImrError as exc:
                log.warning("recording not updated after a consent change: %s", exc.code)
        return Logged(seq=ev.seq)

    async def admit(self, seat: Seat, live: LiveSession, cmd: c.Target) -> Logged:
        """Let someone in from the waiting room; they get the room's state at once."""
        person = self.r.waiting_person(live, cmd.participant)
        data = e.ParticipantAdmitted(participant=cmd.participant)
        ev = await self.r.append(live, seat.participant_id, data)
        await self.r.fanout.enter_room(seat.session_id, cmd.participant, False)
        await self.r.publish(live, ev, data, ROOM)
        their_seat = Seat(seat.session, cmd.participant, person.role, False)
        welcome = self.welcome(their_seat, live, ADMITTED)
        await self.r.fanout.to_participant(
            seat.session_id, cmd.participant, "admitted", welcome.wire()
        )
        await self.introduce(live, seat.participant_id, cmd.participant)
        return Logged(seq=ev.seq)

    async def deny(self, seat: Seat, live: LiveSession, cmd: c.Target) -> Logged:
        """Turn someone away from the waiting room and close their connection."""
        self.r.waiting_person(live, cmd.participant)
        data = e.ParticipantDenied(participant=cmd.participant)
        ev = await self.r.record(live, seat.participant_id, data, STAFF)
        await self.r.fanout.to_participant(
            seat.session_id, cmd.participant, "denied", Farewell(seq=ev.seq).wire()
        )
        live.to_disconnect.append(cmd.participant)
        return Logged(seq=ev.seq)

    async def lock(self, seat: Seat, live: LiveSession, cmd: c.Lock) -> Logged:
        """Lock the session to newcomers, or open it again."""
        if live.state.locked == cmd.locked:
            raise Conflict(f"the session is already {'locked' if cmd.locked else 'unlocked'}")
        data = e.SessionLocked(locked=cmd.locked)
        ev = await self.r.record(live, seat.participant_id, data, ROOM)
        return Logged(seq=ev.seq)

    async def end(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """End the session: stop recording, close media, cut everyone but the leader."""
        if live.state.recording:
            stopped = e.RecordingStopped(reason="session_ended")
            await self.r.record(live, seat.participant_id, stopped, ROOM)
        ev = await self.r.record(live, seat.participant_id, e.SessionEnded(), ROOM)
        await self.r.sessions.set_status(seat.session_id, SessionStatus.ENDED)
        if self.r.media is not None:
            await self.r.media.session_ended(seat.session_id)
        # The leader's own connection stays open so the ack reaches it; every
        # later command is refused because the session has ended.
        connected = await self.r.coord.connected(seat.session_id)
        live.to_disconnect.extend(p for p in connected if p != seat.participant_id)
        return Logged(seq=ev.seq)

    async def rename(self, seat: Seat, live: LiveSession, cmd: c.Rename) -> Logged:
        """Change the name shown for someone; whoever may not see their name is not told."""
        self.r.may_act_on(seat, live, cmd.participant, "rename")
        data = e.ParticipantRenamed(participant=cmd.participant, display_name=cmd.display_name)
        state = live.state
        person = state.people[cmd.participant]
        hidden_from = state.hidden_from(person)
        if not hidden_from:
            ev = await self.r.record(live, seat.participant_id, data, ROOM)
            return Logged(seq=ev.seq)
        # Private mode or a guest speaker: the name reaches staff, the person themselves
        # and only those present who may see it.
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        others = [
            p.id
            for p in state.people.values()
            if p.present
            and p.role not in STAFF_ROLES
            and p.id != person.id
            and p.id not in hidden_from
        ]
        await self.r.tell(live, ev, data, others)
        return Logged(seq=ev.seq)

    async def remove(self, seat: Seat, live: LiveSession, cmd: c.Target) -> Logged:
        """Remove a guest for good: their link is turned off and they are cut off."""
        person = self.r.may_act_on(seat, live, cmd.participant, "remove")
        removable = person.role not in STAFF_ROLES or (
            person.role is Role.CO_LEADER and seat.role is Role.LEADER
        )
        if not removable or person.status == REMOVED or cmd.participant == seat.participant_id:
            raise Conflict("that person cannot be removed")
        await self.r.links.revoke(cmd.participant)
        ev = await self._expel(live, seat.participant_id, cmd.participant, "removed")
        return Logged(seq=ev.seq)

    async def link_revoked(self, session_id: str, invite_id: str, by: str) -> None:
        """A lead turned a join link off: whoever holds it leaves the room or waiting room now."""
        async with self.r.session(session_id) as live:
            person = live.state.person(invite_id)
            if person is not None and person.status in (ADMITTED, WAITING):
                await self._expel(live, by, invite_id, "link_revoked")
            cut, live.to_disconnect = live.to_disconnect, []
        for pid in cut:
            await self.r.fanout.disconnect(session_id, pid)

    async def _expel(self, live: LiveSession, by: str, pid: str, reason: str) -> LogEvent:
        """Log a removal, tell the person, close their media and (after the lock) connections."""
        await end_on_departure(self.r, live, pid)
        data = e.ParticipantRemoved(participant=pid, reason=reason)
        ev = await self.r.record(live, by, data, ROOM)
        session_id = live.state.session_id
        await self.r.fanout.to_participant(
            session_id, pid, "removed", Farewell(seq=ev.seq, reason=reason).wire()
        )
        await self.r.media_gone(session_id, pid)
        live.to_disconnect.append(pid)
        return ev


def departure(kind: type[D], pid: str, reason: str, closed_at: int | None = None) -> D:
    """A departure event; ``closed_at`` only when the close was recorded late."""
    if closed_at is None:
        return kind(participant=pid, reason=reason)
    return kind(participant=pid, reason=reason, closed_at=closed_at)
