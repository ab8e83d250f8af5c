"""Audio plumbing of the phone gateway: G.711 line audio (8 kHz) to and from the room.

pyVoIP hands us 8 kHz audio as unsigned 8-bit samples (it does the G.711 coding);
the room speaks 48 kHz through aiortc. Everything in between is 16-bit mono PCM.
"""

from __future__ import annotations

import asyncio
import fractions
import shutil
import subprocess
import tempfile
import time
import warnings
import wave
from pathlib import Path

import av
from aiortc import MediaStreamError, MediaStreamTrack

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # deprecated in 3.11 (removed in 3.13); pyVoIP needs it anyway

LINE_RATE = 8000
ROOM_RATE = 48000
FRAME_S = 0.02
LINE_FRAME = 160
"""Samples in 20 ms of line audio."""
MIX_HOLD_FRAMES = 4
"""Most 20 ms frames of one room track waiting for the mix: older audio is dropped, so a
sender whose clock runs a little fast cannot build up delay towards the caller."""


def line_to_pcm(data: bytes) -> bytes:
    """pyVoIP's unsigned 8-bit samples as signed 16-bit PCM."""
    return audioop.lin2lin(audioop.bias(data, 1, -128), 1, 2)


def pcm_to_line(data: bytes) -> bytes:
    """Signed 16-bit PCM as pyVoIP's unsigned 8-bit samples."""
    return audioop.bias(audioop.lin2lin(data, 2, 1), 1, 128)


def mix(chunks: list[bytes], size: int) -> bytes:
    """Add 16-bit PCM chunks (clipped), padding each with silence to ``size`` bytes."""
    out = bytes(size)
    for chunk in chunks:
        out = audioop.add(out, chunk.ljust(size, b"\0")[:size], 2)
    return out


def rms(data: bytes) -> int:
    """Loudness of 16-bit PCM."""
    return int(audioop.rms(data, 2)) if data else 0


class Resampler:
    """Keeps the state of one stream's rate conversion."""

    def __init__(self, src: int, dst: int) -> None:
        self.src, self.dst = src, dst
        self._state: tuple[int, tuple[tuple[int, int], ...]] | None = None

    def __call__(self, pcm: bytes) -> bytes:
        out, self._state = audioop.ratecv(pcm, 2, 1, self.src, self.dst, self._state)
        return bytes(out)


def speak(text: str, voice: str = "en-us") -> bytes:
    """``text`` spoken by espeak-ng as 8 kHz 16-bit mono PCM."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise RuntimeError("the phone gateway needs espeak-ng (apt-get install espeak-ng)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "say.wav"
        subprocess.run(
            [espeak, "-v", voice, "-s", "150", "-w", str(path), text],
            check=True,
            capture_output=True,
            timeout=30,
        )
        with wave.open(str(path)) as wav:
            rate, width, channels = wav.getframerate(), wav.getsampwidth(), wav.getnchannels()
            pcm = wav.readframes(wav.getnframes())
    if channels == 2:
        pcm = audioop.tomono(pcm, width, 0.5, 0.5)
    if width != 2:
        pcm = audioop.lin2lin(pcm, width, 2)
    out, _ = audioop.ratecv(pcm, 2, 1, rate, LINE_RATE, None)
    return bytes(out)


class CallerTrack(MediaStreamTrack):
    """The caller's voice as an aiortc audio track: 20 ms frames at 48 kHz, in real time."""

    kind = "audio"

    def __init__(self) -> None:
        super().__init__()
        self._buffer = bytearray()
        self._up = Resampler(LINE_RATE, ROOM_RATE)
        self._n = 0
        self._t0: float | None = None
        self.frame_bytes = int(ROOM_RATE * FRAME_S) * 2

    def feed(self, pcm_8k: bytes) -> None:
        """Add 8 kHz PCM from the line (kept to at most 200 ms, so delay cannot grow)."""
        self._buffer += self._up(pcm_8k)
        excess = len(self._buffer) - 10 * self.frame_bytes
        if excess > 0:
            del self._buffer[:excess]

    async def recv(self) -> av.AudioFrame:
        if self.readyState != "live":
            raise MediaStreamError
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now
        wait = self._t0 + self._n * FRAME_S - now
        if wait > 0:
            await asyncio.sleep(wait)
        chunk = bytes(self._buffer[: self.frame_bytes]).ljust(self.frame_bytes, b"\0")
        del self._buffer[: self.frame_bytes]
        samples = self.frame_bytes // 2
        frame = av.AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(chunk)
        frame.sample_rate = ROOM_RATE
        frame.pts = self._n * samples
        frame.time_base = fractions.Fraction(1, ROOM_RATE)
        self._n += 1
        return frame


class RoomMix:
    """The room's audio tracks, each turned into 8 kHz mono, mixed 20 ms at a time (each
    holds at most ``MIX_HOLD_FRAMES``)."""

    def __init__(self) -> None:
        self._buffers: dict[int, bytearray] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def add(self, track: MediaStreamTrack) -> None:
        self._tasks.append(asyncio.create_task(self._consume(track)))

    async def _consume(self, track: MediaStreamTrack) -> None:
        key = id(track)
        buffer = self._buffers[key] = bytearray()
        resampler = av.AudioResampler(format="s16", layout="mono", rate=LINE_RATE)
        try:
            while True:
                try:
                    frame = await track.recv()
                except MediaStreamError:
                    return
                if not isinstance(frame, av.AudioFrame):
                    continue
                for out in resampler.resample(frame):
                    buffer += bytes(out.planes[0])[: out.samples * 2]
                excess = len(buffer) - MIX_HOLD_FRAMES * LINE_FRAME * 2
                if excess > 0:
                    del buffer[:excess]
        finally:
            self._buffers.pop(key, None)

    def take(self) -> bytes:
        """The next 20 ms of the mix (silence when nobody speaks)."""
        size = LINE_FRAME * 2
        chunks = []
        for buffer in self._buffers.values():
            chunks.append(bytes(buffer[:size]))
            del buffer[:size]
        return mix(chunks, size)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
