"""A lead's media actions that are logged: server mute and recording."""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import Role
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, Forbidden


class MediaControl:
    """Server mute and recording, asked of the media server and written to the log."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "media.server_mute": self.server_mute,
            "recording.set": self.set_recording,
        }

    async def server_mute(self, seat: Seat, live: LiveSession, cmd: c.ServerMute) -> Logged:
        """Stop (or resume) forwarding someone's audio or video."""
        person = self.r.may_act_on(seat, live, cmd.participant, "turn off the sound or video of")
        if person.role is Role.LEADER and cmd.muted:
            raise Forbidden("the lead clinician's microphone and camera are theirs to turn off")
        if not person.present:
            raise Conflict("that person is not in the room")
        media = self.r.need_media()
        await media.server_mute(
            seat.session_id, seat.participant_id, cmd.participant, cmd.kind, cmd.muted
        )
        data = e.MediaMuted(participant=cmd.participant, kind=cmd.kind, muted=cmd.muted)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def set_recording(self, seat: Seat, live: LiveSession, cmd: c.SetRecording) -> Logged:
        """Start recording the people present who consented, or stop."""
        if live.state.recording == cmd.on:
            raise Conflict(f"recording is already {'on' if cmd.on else 'off'}")
        media = self.r.need_media()
        allowed_ids = self.r.consenting(live)
        if cmd.on and not allowed_ids:
            raise Conflict("nobody here has agreed to be recorded", code="no_consent")
        await media.set_recording(
            seat.session_id, seat.participant_id, cmd.on, allowed_ids if cmd.on else []
        )
        data: e.EventData = (
            e.RecordingStarted(participants=allowed_ids) if cmd.on else e.RecordingStopped()
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)
