"""Recovery videos: a lead plays a short clip to everyone, with pause, resume and seek.

The clip itself travels through the media server: the SFU reads the file and forwards its
encoded packets as the media identity ``clip~<id>`` (sfu/clip.py), so audio-only people
get only its sound and late joiners subscribe to it like to anyone. Here the clip is
chosen, controlled and logged; the log keeps where the video was and when, so a late
joiner (and a media room made later) starts at the current position.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.clock import now_us
from imr_live.domain.events import Logged
from imr_live.domain.live_state import RunningClip
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, ImrError, InvalidInput

log = logging.getLogger("imr_live.clips")

ClipAction = Literal["play", "keep", "pause", "resume", "seek", "stop"]


@dataclass(frozen=True, slots=True)
class ClipFile:
    """One video a session may play: shipped with the server or uploaded by a lead."""

    id: str
    title: str
    duration: float
    path: Path
    """Where the media server reads it (never served to browsers)."""
    shipped: bool

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view for leads (no path)."""
        return {
            "id": self.id,
            "title": self.title,
            "duration": self.duration,
            "shipped": self.shipped,
        }


class ClipStore(Protocol):
    """Where a session's clips are found."""

    def find(self, session_id: str, clip_id: str) -> ClipFile:
        """The clip, shipped or uploaded to this session; raises NotFound."""


class ClipMedia(Protocol):
    """What the media server does with a clip."""

    async def clip(
        self,
        session_id: str,
        by: str,
        action: ClipAction,
        clip: str,
        path: str = "",
        offset: float | None = None,
    ) -> None:
        """Play, keep, pause, resume, seek or stop ``clip`` in the session's media room."""


class Clips:
    """The live-channel commands for recovery videos (leads only, by the catalogue)."""

    def __init__(self, recorder: SessionRecorder, store: ClipStore | None) -> None:
        self.r = recorder
        self.store = store
        self.handlers: dict[str, Handler] = {
            "clip.play": self.play,
            "clip.pause": self.pause,
            "clip.resume": self.resume,
            "clip.seek": self.seek,
            "clip.stop": self.stop,
        }

    def _media(self) -> ClipMedia:
        media: Any = self.r.need_media()
        return media  # type: ignore[no-any-return]

    def _find(self, session_id: str, clip_id: str) -> ClipFile:
        if self.store is None:
            raise InvalidInput("this server has no videos to play")
        return self.store.find(session_id, clip_id)

    async def play(self, seat: Seat, live: LiveSession, cmd: c.PlayClip) -> Logged:
        """Play a clip from its start; one that is on screen stops first."""
        found = self._find(live.state.session_id, cmd.clip)
        by = seat.participant_id
        if live.state.clip is not None:
            await self._stop(live, by, live.state.clip)
        await self._media().clip(live.state.session_id, by, "play", found.id, str(found.path), 0.0)
        data = e.ClipStarted(
            clip=found.id, title=found.title, duration=found.duration, at_us=now_us()
        )
        ev = await self.r.record(live, by, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def pause(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Pause the video where it is."""
        clip = self._running(live)
        now = now_us()
        if not clip.playing or clip.position_at(now) >= clip.duration:
            raise Conflict("the video is not playing")
        position = clip.position_at(now)
        await self._media().clip(live.state.session_id, seat.participant_id, "pause", clip.clip)
        data = e.ClipPaused(clip=clip.clip, position=position, at_us=now)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def resume(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Let a paused video go on from where it stopped."""
        clip = self._running(live)
        if clip.playing:
            raise Conflict("the video is already playing")
        if clip.position >= clip.duration:
            raise Conflict("the video is at its end; move it back or play it again")
        sid, by = live.state.session_id, seat.participant_id
        await self._media().clip(sid, by, "resume", clip.clip, offset=clip.position)
        data = e.ClipResumed(clip=clip.clip, position=clip.position, at_us=now_us())
        ev = await self.r.record(live, by, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def seek(self, seat: Seat, live: LiveSession, cmd: c.SeekClip) -> Logged:
        """Move the video to ``seconds`` (it plays on if it was playing)."""
        clip = self._running(live)
        if cmd.seconds > clip.duration:
            raise InvalidInput(f"seconds: the video is only {clip.duration:g} seconds long")
        sid, by = live.state.session_id, seat.participant_id
        await self._media().clip(sid, by, "seek", clip.clip, offset=cmd.seconds)
        data = e.ClipSought(clip=clip.clip, position=cmd.seconds, at_us=now_us())
        ev = await self.r.record(live, by, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def stop(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Stop the video for everyone."""
        ev = await self._stop(live, seat.participant_id, self._running(live))
        return Logged(seq=ev.seq)

    async def _stop(self, live: LiveSession, by: str, clip: RunningClip) -> Any:
        await self._media().clip(live.state.session_id, by, "stop", clip.clip)
        now = now_us()
        data = e.ClipStopped(clip=clip.clip, position=clip.position_at(now), at_us=now)
        return await self.r.record(live, by, data, Audience.ROOM)

    @staticmethod
    def _running(live: LiveSession) -> RunningClip:
        if live.state.clip is None:
            raise Conflict("no video is on screen")
        return live.state.clip

    async def keep_playing(self, live: LiveSession, by: str) -> None:
        """Make sure the media room plays the session's video where it is now (a room made
        after the lead pressed play, or moved to another media server, starts it there)."""
        clip = live.state.clip
        if clip is None or self.store is None:
            return
        media, sid = self._media(), live.state.session_id
        try:
            found = self.store.find(sid, clip.clip)
            position = clip.position_at(now_us())
            await media.clip(sid, by, "keep", clip.clip, str(found.path), position)
            if not clip.playing:
                await media.clip(sid, by, "pause", clip.clip)
        except ImrError as exc:  # the media join itself went well: it stands
            log.warning("session %s: the video could not go on: %s", sid, exc.code)
