"""Screen and window sharing: who may share, one share at a time, who may stop it.

Leads may always share; anyone else who takes part once a lead allows it. The
share itself travels through the SFU as its own publishing connection (see
docs/sfu.md, "Screen sharing"); here it is started, stopped and logged. A
second sharer is refused with ``conflict`` (a lead stops the first share to
take over), so a share never vanishes under someone who is presenting.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged, MediaAck
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import LEADS, SPEAKS
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, Forbidden
from imr_live.store.session_log import LogEvent

MediaSend = Callable[[], Awaitable[MediaAck]]


class ScreenShare:
    """Starts, stops and allows screen shares, in the log and in the media server."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "screen.start": self.start,
            "screen.stop": self.stop,
            "screen.allow": self.allow,
        }

    async def start(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Begin sharing (the browser publishes the screen once this is acknowledged)."""
        pid = seat.participant_id
        if seat.role not in LEADS and pid not in live.state.screen_allowed:
            raise Forbidden("a lead has to let you share your screen first")
        if live.state.screen == pid:
            raise Conflict("you are already sharing your screen")
        if live.state.screen is not None:
            raise Conflict("someone else is sharing their screen; a lead can stop it")
        self.r.need_media()
        ev = await self.r.record(live, pid, e.ScreenStarted(participant=pid), Audience.ROOM)
        return Logged(seq=ev.seq)

    async def stop(self, seat: Seat, live: LiveSession, cmd: c.StopScreen) -> Logged:
        """Stop your own share, or (a lead) anyone's."""
        target = cmd.participant or seat.participant_id
        if target != seat.participant_id and seat.role not in LEADS:
            raise Forbidden("only a lead may stop someone else's screen share")
        if live.state.screen != target:
            raise Conflict("that screen is not being shared")
        ev = await self._end(live, seat.participant_id, target, "stopped")
        return Logged(seq=ev.seq)

    async def allow(self, seat: Seat, live: LiveSession, cmd: c.AllowScreen) -> Logged:
        """Let someone share, or take it back; taking it back stops their share."""
        person = self.r.known_person(live, cmd.participant)
        if person.role in LEADS:
            raise Conflict("leads may always share their screen")
        if person.role not in SPEAKS:
            raise Conflict("that person only watches: they cannot share a screen")
        if (cmd.participant in live.state.screen_allowed) == cmd.allowed:
            raise Conflict(f"that is already {'allowed' if cmd.allowed else 'not allowed'}")
        data = e.ScreenAllowed(participant=cmd.participant, allowed=cmd.allowed)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        if not cmd.allowed and live.state.screen == cmd.participant:
            await self._end(live, seat.participant_id, cmd.participant, "not_allowed")
        return Logged(seq=ev.seq)

    async def publish(self, seat: Seat, send: MediaSend) -> MediaAck:
        """Carry the sharer's publishing offer; only while their share is the current one.

        Held under the session's lock, so a share stopped meanwhile cannot come back
        through an offer that was already on its way.
        """
        async with self.r.session(seat.session_id) as live:
            if live.state.screen != seat.participant_id:
                raise Forbidden("start sharing (screen.start) before sending your screen")
            return await send()

    async def _end(
        self, live: LiveSession, by: str, target: str, reason: e.ScreenStopReason
    ) -> LogEvent:
        media = self.r.need_media()
        await media.stop_screen(live.state.session_id, target)
        data = e.ScreenStopped(participant=target, by=by, reason=reason)
        return await self.r.record(live, by, data, Audience.ROOM)


async def end_on_departure(recorder: SessionRecorder, live: LiveSession, pid: str) -> None:
    """Log the end of ``pid``'s share as they leave (the SFU drops it with their media)."""
    if live.state.screen == pid:
        data = e.ScreenStopped(participant=pid, by=pid, reason="left")
        await recorder.record(live, pid, data, Audience.ROOM)
