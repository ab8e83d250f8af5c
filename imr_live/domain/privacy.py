"""Private group mode: group members see only the leads (and interpreters), not each other.

Guest speakers likewise see no client's or supporter's name ("Group member") until the
lead (only the lead clinician) allows it; the same hiding serves both.

The lead turns it on per session (logged). Group members' names are hidden from
each other in every snapshot ("Group member" or the initials they chose), and
the media server forwards no group member's video (nor, if the lead chooses,
voice) to another group member. A group member may choose to show themselves.
"""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict


class Privacy:
    """The ``privacy.*`` commands and the media server's half of private mode."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "privacy.mode": self.set_mode,
            "privacy.show_me": self.show_me,
            "guest.show_names": self.guest_names,
        }

    async def set_mode(self, seat: Seat, live: LiveSession, cmd: c.PrivateMode) -> Logged:
        """Turn private group mode on or off for this session."""
        state = live.state
        if state.private_mode == cmd.on and (not cmd.on or state.private_voices == cmd.voices):
            raise Conflict(f"private group mode is already {'on' if cmd.on else 'off'}")
        # The media server first: once the log says "private", nothing crosses any more.
        await self._tell_media(live, seat.participant_id, cmd.on, cmd.voices)
        data = e.PrivateModeSet(on=cmd.on, voices=cmd.voices)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def show_me(self, seat: Seat, live: LiveSession, cmd: c.ShowMe) -> Logged:
        """A group member shows themselves to the group, or stays hidden (with initials)."""
        pid = seat.participant_id
        initials = None if cmd.show else cmd.initials
        data = e.PrivacyChosen(participant=pid, show=cmd.show, initials=initials)
        ev = await self.r.record(live, pid, data, Audience.ROOM)
        if live.state.private_mode:
            await self.keep_private(live, pid)
        return Logged(seq=ev.seq)

    async def guest_names(self, seat: Seat, live: LiveSession, cmd: c.ShowNames) -> Logged:
        """The lead lets guest speakers see the group's names, or hides them again."""
        if live.state.guest_names == cmd.on:
            state = "shown to" if cmd.on else "hidden from"
            raise Conflict(f"names are already {state} guest speakers")
        data = e.GuestNamesShown(on=cmd.on)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def keep_private(self, live: LiveSession, by: str) -> None:
        """Give the media room the session's private mode (again), e.g. after a media join
        made the room or someone new came: whoever it has not been told of stays hidden."""
        if live.state.private_mode:
            await self._tell_media(live, by, True, live.state.private_voices)

    async def _tell_media(self, live: LiveSession, by: str, on: bool, voices: bool) -> None:
        if self.r.media is None:
            return
        state = live.state
        await self.r.media.set_privacy(
            state.session_id, by, on, voices, state.open_ids(), state.shown_ids()
        )
