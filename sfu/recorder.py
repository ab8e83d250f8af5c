"""Recording: received encoded frames muxed into WebM with PyAV, never re-encoded.

One file per published track (`<participant>.video.webm`, `<participant>.audio.webm`)
so that a track published after the recording started needs no rewrite of an
existing file header. Matroska clusters are short and packets are flushed as
they are written: a crash of the process loses only the last moments.
"""

from __future__ import annotations

import fractions
import logging
import time
from pathlib import Path
from typing import Any

import av

from sfu.screen import owner_of

logger = logging.getLogger(__name__)

MS = fractions.Fraction(1, 1000)
WEBM_CODECS = {"video/vp8": "libvpx", "audio/opus": "libopus"}
# OpusHead (RFC 7845) for a 2-channel 48 kHz stream, as WebRTC sends.
OPUS_HEAD = b"OpusHead\x01\x02\x38\x01\x80\xbb\x00\x00\x00\x00\x00"


def vp8_dimensions(frame: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header, None for an inter frame."""
    if len(frame) < 10 or frame[0] & 0x01 or frame[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(frame[6:8], "little") & 0x3FFF
    height = int.from_bytes(frame[8:10], "little") & 0x3FFF
    return width, height


class TrackRecording:
    """One track's encoded frames written to one WebM file."""

    def __init__(self, path: Path, mime_type: str, started_at: float) -> None:
        if mime_type not in WEBM_CODECS:
            raise ValueError(f"{mime_type} cannot be recorded to WebM")
        self.path = path
        self.mime_type = mime_type
        self.frames = 0
        self._kind = mime_type.split("/")[0]
        self._started_at = started_at
        self._container: Any = None
        self._stream: Any = None
        self._first: tuple[int, float] | None = None
        self._last_pts = -1
        self._closed = False
        self.key: tuple[str, str] = ("", "")

    @property
    def closed(self) -> bool:
        """Whether the file is finished."""
        return self._closed

    def write(self, codec: Any, frame: Any, arrival: float) -> None:
        """Mux one reassembled frame (video waits for its first keyframe)."""
        if self._closed:
            return
        data: bytes = frame.data
        if self._container is None and not self._open(data):
            return
        if self._first is None:
            self._first = (frame.timestamp, arrival)
        ts0, arrival0 = self._first
        # aiortc has already unwrapped the timestamps (they start at 0 and only grow).
        elapsed_ms = (frame.timestamp - ts0) * 1000 // codec.clockRate
        pts = int((arrival0 - self._started_at) * 1000) + elapsed_ms
        if pts <= self._last_pts:
            return  # out of order or duplicate: WebM needs increasing times per track
        self._last_pts = pts
        packet = av.Packet(data)
        packet.stream = self._stream
        packet.pts = packet.dts = pts
        packet.time_base = MS
        if self._kind == "video" and vp8_dimensions(data) is not None:
            packet.is_keyframe = True
        self._container.mux(packet)
        self.frames += 1

    def _open(self, data: bytes) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        options = {"cluster_time_limit": "1000", "flush_packets": "1"}
        if self._kind == "video":
            size = vp8_dimensions(data)
            if size is None:
                return False
            container = av.open(str(self.path), "w", format="webm", options=options)
            stream: Any = container.add_stream(WEBM_CODECS[self.mime_type], rate=30)
            stream.width, stream.height = size
        else:
            container = av.open(str(self.path), "w", format="webm", options=options)
            stream = container.add_stream(WEBM_CODECS[self.mime_type], rate=48000)
            stream.codec_context.extradata = OPUS_HEAD
        stream.time_base = MS
        self._container, self._stream = container, stream
        logger.info("recording %s to %s", self.mime_type, self.path)
        return True

    def close(self) -> None:
        """Finish the file (idempotent); an unopened recording leaves no file."""
        if self._closed:
            return
        self._closed = True
        if self._container is not None:
            self._container.close()
            logger.info("recording %s closed after %d frames", self.path, self.frames)


class RoomRecording:
    """The recordings of one room: TrackRecordings of the consenting participants' tracks.

    A track that ends (its publisher leaves or republishes) closes its file;
    a later track of the same participant and kind gets a new numbered file.
    """

    def __init__(self, directory: Path, allowed: frozenset[str]) -> None:
        self.directory = directory
        self.allowed = allowed
        self.started_at = time.monotonic()
        self._current: dict[tuple[str, str], TrackRecording] = {}
        self._segments: list[TrackRecording] = []

    def track(self, participant_id: str, kind: str, mime_type: str) -> TrackRecording | None:
        """The open recording for a track, created if needed; None if not allowed or codec."""
        if owner_of(participant_id) not in self.allowed:
            return None
        key = (participant_id, kind)
        current = self._current.get(key)
        if current is not None and not current.closed:
            return current
        if mime_type not in WEBM_CODECS:
            logger.warning(
                "%s %s not recorded: %s has no WebM form", participant_id, kind, mime_type
            )
            return None
        recording = TrackRecording(
            self._free_path(participant_id, kind), mime_type, self.started_at
        )
        recording.key = key
        self._current[key] = recording
        self._segments.append(recording)
        return recording

    def _free_path(self, participant_id: str, kind: str) -> Path:
        """`<participant>.<kind>.webm`, or `-2`, `-3`... : never overwrite an earlier file."""
        taken = {t.path for t in self._segments}
        n = 1
        while True:
            name = (
                f"{participant_id}.{kind}.webm" if n == 1 else f"{participant_id}.{kind}-{n}.webm"
            )
            path = self.directory / name
            if path not in taken and not path.exists():
                return path
            n += 1

    def end(self, participant_id: str, kind: str) -> None:
        """A track ended: close its file."""
        current = self._current.pop((participant_id, kind), None)
        if current is not None:
            current.close()

    def set_allowed(self, allowed: frozenset[str]) -> None:
        """Consent changed: close the files of participants no longer allowed."""
        self.allowed = allowed
        for participant_id, kind in list(self._current):
            if participant_id not in allowed:
                self.end(participant_id, kind)

    def tracks(self) -> list[TrackRecording]:
        """Every file of this recording, open or closed."""
        return list(self._segments)

    def files(self) -> list[str]:
        """Paths of every file of this recording."""
        return [str(t.path) for t in self._segments]

    def close(self) -> None:
        """Close every file."""
        for track in self._segments:
            track.close()
