"""Video clips played into a room without re-encoding: the media identity `clip~<id>`.

A lead's clip (WebM VP8/Opus, or MP4 H.264 with Opus sound) is demuxed with PyAV and its
encoded packets are sent, paced in real time, over an aiortc connection that publishes
into the room like any participant. The SFU forwards it like anyone else's media, so
audio-only people get only its sound and late joiners subscribe to it like to anyone.

Pause stops sending; resume and seek restart the demuxer at a position (PyAV seeks to
the keyframe before it, so no decoding is needed). Timestamps go on with the wall
clock across pauses and seeks, so receivers' jitter buffers see one steady stream.
"""

from __future__ import annotations

import asyncio
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
from aiortc import MediaStreamError, MediaStreamTrack
from av.bitstream import BitStreamFilterContext

logger = logging.getLogger(__name__)

CLIP_PREFIX = "clip~"
VIDEO_CODECS = ("vp8", "h264")
AUDIO_CODECS = ("opus",)
_TIME_BASE = {"video": Fraction(1, 90000), "audio": Fraction(1, 48000)}
READ_AHEAD_S = 0.05
"""How far ahead of the wall clock packets are handed to the senders."""


class ClipRefused(ValueError):
    """A file that cannot be played without re-encoding (the message says why)."""


def clip_id(clip: str) -> str:
    """The media identity of a playing clip."""
    return CLIP_PREFIX + clip


def is_clip(pid: str) -> bool:
    """True for a clip's media identity."""
    return pid.startswith(CLIP_PREFIX)


def probe(path: Path) -> dict[str, Any]:
    """Check that a file is a clip we can forward as it is.

    Returns ``{"duration": seconds, "video": codec or None, "audio": codec or None}``;
    raises ClipRefused with a plain sentence otherwise.
    """
    try:
        with av.open(str(path)) as container:
            if container.format.name.split(",")[0] not in ("matroska", "mov"):
                raise ClipRefused("The file must be a WebM or MP4 video.")
            video = (
                container.streams.video[0].codec_context.name if container.streams.video else None
            )
            audio = (
                container.streams.audio[0].codec_context.name if container.streams.audio else None
            )
            duration = (container.duration or 0) / av.time_base
    except ClipRefused:
        raise
    except Exception as exc:
        raise ClipRefused("The file is not a video we can read.") from exc
    if video is None and audio is None:
        raise ClipRefused("The file has no picture and no sound.")
    if video is not None and video not in VIDEO_CODECS:
        raise ClipRefused("The picture must be VP8 (WebM) or H.264 (MP4).")
    if audio is not None and audio not in AUDIO_CODECS:
        raise ClipRefused("The sound must be Opus.")
    if duration <= 0:
        raise ClipRefused("The video has no length.")
    return {"duration": round(duration, 3), "video": video, "audio": audio}


class ClipTrack(MediaStreamTrack):
    """One of a clip's tracks: hands encoded packets to an aiortc sender."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        """av.Packet items; None ends the track."""

    async def recv(self) -> Any:
        if self.readyState != "live":
            raise MediaStreamError
        packet = await self.queue.get()
        if packet is None:
            self.stop()
            raise MediaStreamError
        return packet


class ClipPlayer:
    """Reads one clip file and paces its packets into its tracks; pause, resume, seek."""

    def __init__(self, path: Path) -> None:
        self.path = path
        info = probe(path)
        self.duration: float = info["duration"]
        self.video_codec: str | None = info["video"]
        self.tracks: dict[str, ClipTrack] = {}
        if info["video"]:
            self.tracks["video"] = ClipTrack("video")
        if info["audio"]:
            self.tracks["audio"] = ClipTrack("audio")
        self.position = 0.0
        """Seconds into the clip of the last packet sent (or where it will start)."""
        self.playing = False
        self.ended = False
        self._task: asyncio.Task[None] | None = None
        self._origin: float | None = None
        """Loop time of the first packet sent: output timestamps count from it."""

    def play(self, offset: float | None = None) -> None:
        """Start (or go on) sending from ``offset`` seconds (None: where it stopped)."""
        self._cancel()
        if offset is not None:
            self.position = max(0.0, min(offset, self.duration))
        self.playing, self.ended = True, False
        self._task = asyncio.ensure_future(self._run(self.position))

    def pause(self) -> None:
        """Stop sending; the position stays."""
        self._cancel()
        self.playing = False

    def seek(self, offset: float) -> None:
        """Go to ``offset`` seconds; keeps playing if it was playing (or had played to its end)."""
        if self.playing or self.ended:
            self.play(offset)
        else:
            self.position = max(0.0, min(offset, self.duration))

    async def stop(self) -> None:
        """Stop for good: the tracks end."""
        self._cancel()
        task, self._task = self._task, None
        if task is not None:
            await asyncio.gather(task, return_exceptions=True)
        self.playing = False
        for track in self.tracks.values():
            track.stop()

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, offset: float) -> None:
        loop = asyncio.get_running_loop()
        try:
            with av.open(str(self.path)) as container:
                streams = [s for s in (container.streams.video[:1] + container.streams.audio[:1])]
                annexb = None
                if self.video_codec == "h264":
                    # MP4 keeps H.264 as length-prefixed units with SPS/PPS aside; RTP
                    # packetizing wants start codes and SPS/PPS before each keyframe.
                    annexb = BitStreamFilterContext("h264_mp4toannexb", streams[0])
                if offset > 0:
                    container.seek(int(offset * av.time_base), backward=True, any_frame=False)
                first: float | None = None
                start = loop.time()
                if self._origin is None:
                    self._origin = start
                for demuxed in container.demux(*streams):
                    kind = demuxed.stream.type
                    track = self.tracks.get(kind)
                    if track is None or demuxed.pts is None or demuxed.time_base is None:
                        continue
                    if not demuxed.size:
                        continue
                    packets = [demuxed]
                    if annexb is not None and kind == "video":
                        packets = annexb.filter(demuxed)
                    for packet in packets:
                        if packet.pts is None or packet.time_base is None:
                            continue
                        # Sent in decoding order (dts), stamped with showing time (pts).
                        at = float(packet.pts * packet.time_base)
                        sent = at if packet.dts is None else float(packet.dts * packet.time_base)
                        if first is None:
                            first = sent
                        due = start + (sent - first)
                        wait = due - loop.time() - READ_AHEAD_S
                        if wait > 0:
                            await asyncio.sleep(wait)
                        out = _TIME_BASE[kind]
                        stamp = start + (at - first) - self._origin
                        packet.pts = packet.dts = int(stamp / out)
                        packet.time_base = out
                        self.position = min(at, self.duration)
                        track.queue.put_nowait(packet)
            self.ended, self.playing = True, False
            logger.info("clip %s ended", self.path.name)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("clip %s failed while playing", self.path.name)
            self.playing = False
