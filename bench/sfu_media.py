"""Cheap load for the SFU benchmark: pre-encoded VP8 and Opus, CPU from /proc.

Frames are encoded once (cached under /tmp) and replayed in real time as
`av.Packet`s, which aiortc's sender only packetizes: the load generator
spends no CPU on encoding.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import os
import struct
import time
from pathlib import Path

import av
from aiortc import MediaStreamTrack
from aiortc.mediastreams import MediaStreamError

CACHE = Path("/tmp/imr-sfu-bench-cache")
WIDTH, HEIGHT, FPS = 640, 480, 30
CLK_TCK = os.sysconf("SC_CLK_TCK")


def vp8_clip(seconds: int = 6, bitrate: int = 1_000_000, gop: int = 60) -> list[tuple[bool, bytes]]:
    """(is_keyframe, frame) for a noisy 640x480 test pattern, encoded once and cached."""
    path = CACHE / f"vp8-{WIDTH}x{HEIGHT}-{FPS}-{bitrate}-{gop}-{seconds}.bin"
    if not path.exists():
        _encode_vp8(path, seconds, bitrate, gop)
    frames = []
    data = path.read_bytes()
    offset = 0
    while offset < len(data):
        key, size = struct.unpack_from("!BI", data, offset)
        offset += 5
        frames.append((bool(key), data[offset : offset + size]))
        offset += size
    return frames


def _encode_vp8(path: Path, seconds: int, bitrate: int, gop: int) -> None:
    source = av.open(
        f"testsrc=size={WIDTH}x{HEIGHT}:rate={FPS}:duration={seconds},noise=alls=12:allf=t",
        format="lavfi",
    )
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.bit_rate = bitrate
    encoder.gop_size = gop
    encoder.options = {"deadline": "realtime", "cpu-used": "4", "lag-in-frames": "0"}
    out = bytearray()
    for n, frame in enumerate(source.decode(video=0)):
        frame = frame.reformat(format="yuv420p")
        frame.pict_type = av.video.frame.PictureType.NONE  # let the GOP decide keyframes
        frame.pts, frame.time_base = n, encoder.time_base
        for packet in encoder.encode(frame):
            out += struct.pack("!BI", int(packet.is_keyframe), packet.size) + bytes(packet)
    for packet in encoder.encode(None):
        out += struct.pack("!BI", int(packet.is_keyframe), packet.size) + bytes(packet)
    source.close()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(out))
    tmp.replace(path)


def opus_clip(frames: int = 50) -> list[bytes]:
    """One second of 20 ms Opus frames of a quiet tone, encoded once."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate, encoder.layout, encoder.format = 48000, "stereo", "s16"
    tone = array.array(
        "h", (int(2000 * math.sin(2 * math.pi * 300 * (i // 2) / 48000)) for i in range(1920))
    ).tobytes()
    out = []
    for n in range(frames):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=960)
        frame.planes[0].update(tone)
        frame.sample_rate, frame.pts = 48000, n * 960
        out += [bytes(p) for p in encoder.encode(frame)]
    return out


class _Paced(MediaStreamTrack):
    def __init__(self, period: float) -> None:
        super().__init__()
        self._period = period
        self._n = 0
        self._t0: float | None = None

    async def _tick(self) -> int:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        wait = self._t0 + self._n * self._period - now
        if wait > 0:
            await asyncio.sleep(wait)
        self._n += 1
        return self._n - 1


# Like an encoder's own rate limit on forced keyframes.
KEYFRAME_GAP_S = 0.3


class PreEncodedVideo(_Paced):
    """Replays the VP8 clip; a keyframe request jumps to the next keyframe (rate-limited)."""

    kind = "video"

    def __init__(self, frames: list[tuple[bool, bytes]], start: int = 0) -> None:
        super().__init__(1 / FPS)
        self._frames = frames
        self._keys = [i for i, (key, _) in enumerate(frames) if key]
        self._index = start % len(frames)
        self._want_key = False
        self._last_jump = 0.0

    def request_keyframe(self) -> None:
        self._want_key = True

    async def recv(self) -> av.Packet:
        n = await self._tick()
        if self._want_key and time.monotonic() - self._last_jump > KEYFRAME_GAP_S:
            self._want_key = False
            if not self._frames[self._index][0]:
                later = [i for i in self._keys if i > self._index]
                self._index = later[0] if later else self._keys[0]
                self._last_jump = time.monotonic()
        _, data = self._frames[self._index]
        self._index = (self._index + 1) % len(self._frames)
        packet = av.Packet(data)
        packet.pts, packet.time_base = n * (90000 // FPS), fractions.Fraction(1, 90000)
        return packet


class PreEncodedAudio(_Paced):
    """Replays the Opus clip in 20 ms packets."""

    kind = "audio"

    def __init__(self, frames: list[bytes]) -> None:
        super().__init__(0.02)
        self._frames = frames

    async def recv(self) -> av.Packet:
        n = await self._tick()
        packet = av.Packet(self._frames[n % len(self._frames)])
        packet.pts, packet.time_base = n * 960, fractions.Fraction(1, 48000)
        return packet


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads)."""
    with open(f"/proc/{pid}/stat") as f:
        text = f.read()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:9]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK
