"""Live captions in the room: the lead turns them on; text reaches everyone, kept only with consent.

The media server decodes a room's audio only while captions are on; the
captioner (imr_live/captions) hands each utterance's text to ``deliver``. A
caption goes to the room as a ``caption`` message. It is written to the log
(``caption.said``) only when everyone present had agreed to be recorded. A
recovery video's words are captioned too (as ``clip~<id>``) and never kept. In
private group mode without voices, a group member's words reach only the
staff and themselves (as their voice does).
"""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.clock import now_us
from imr_live.domain.event_data import JsonObject
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict


class Captions:
    """The ``captions.set`` command and the delivery of captions."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {"captions.set": self.set}

    async def set(self, seat: Seat, live: LiveSession, cmd: c.SetCaptions) -> Logged:
        """Turn captions on or off; the media server starts (or stops) listening first."""
        if live.state.captions == cmd.on:
            raise Conflict(f"captions are already {'on' if cmd.on else 'off'}")
        await self.r.need_media().set_captions(seat.session_id, seat.participant_id, cmd.on)
        ev = await self.r.record(live, seat.participant_id, e.CaptionsSet(on=cmd.on), Audience.ROOM)
        return Logged(seq=ev.seq)

    async def keep_captioned(self, live: LiveSession, by: str) -> None:
        """A media join may have made the room: caption it if captions are on."""
        if live.state.captions and self.r.media is not None:
            await self.r.media.set_captions(live.state.session_id, by, True)

    async def deliver(self, session_id: str, participant: str, text: str, _end: float) -> None:
        """One utterance's text: to the room, and to the log if everyone agreed."""
        text = text[:500]
        async with self.r.session(session_id) as live:
            state = live.state
            if state.clip is not None and participant == state.clip.media_id:
                # A recovery video's words: for everyone who watches it, never kept
                # (the video is known material, not what the group said).
                if not state.captions:
                    return
                video: JsonObject = {"participant": participant, "text": text, "at": now_us()}
                await self.r.fanout.to_room(session_id, "caption", {**video, "kept": False})
                return
            speaker = state.person(participant)
            if not state.captions or speaker is None or not speaker.present:
                return
            present = [p for p in state.people.values() if p.present]
            kept = all(p.consent is True for p in present)
            if kept:
                await self.r.append(
                    live, participant, e.CaptionSaid(participant=participant, text=text)
                )
            quiet = state.private_mode and not state.private_voices and speaker.group_member
        caption: JsonObject = {
            "participant": participant,
            "text": text,
            "at": now_us(),
            "kept": kept,
        }
        if quiet:
            await self.r.fanout.to_staff(session_id, "caption", caption)
            await self.r.fanout.to_participant(session_id, participant, "caption", caption)
        else:
            await self.r.fanout.to_room(session_id, "caption", caption)
