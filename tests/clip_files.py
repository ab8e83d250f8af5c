"""Tiny clip files made at test time (nothing binary is committed)."""

from __future__ import annotations

import math
import struct
from fractions import Fraction
from pathlib import Path

import av

YUV = {
    "red": (81, 90, 240),
    "green": (145, 54, 34),
    "blue": (41, 240, 110),
    "yellow": (210, 16, 146),
}
"""Solid colours as (Y, U, V), the values tests/sfu/conftest.py `classify` knows."""


def make_clip(
    path: Path,
    seconds: float = 4.0,
    colour: str = "blue",
    *,
    video: str | None = "libvpx",
    audio: bool = True,
    fps: int = 15,
    speech: Path | None = None,
) -> Path:
    """A solid-colour clip with a tone: WebM VP8/Opus by default (``video="libx264"`` and
    an .mp4 path give an H.264/Opus MP4); a keyframe every second so joiners start fast.
    With ``speech`` (a WAV file) its sound is those words, then quiet, instead of the tone."""
    spoken = speech_pcm(speech) if speech is not None else None
    width, height = 160, 120
    samples = 960  # 20 ms of sound per audio frame
    with av.open(str(path), "w") as out:
        vstream = out.add_stream(video, rate=fps) if video is not None else None
        astream = out.add_stream("libopus", rate=48000, layout="mono") if audio else None
        if vstream is not None:
            vstream.width, vstream.height = width, height
            vstream.pix_fmt = "yuv420p"
            vstream.codec_context.gop_size = fps
            vstream.bit_rate = 200_000
            if video == "libx264":  # what browsers decode over WebRTC: no B-frames
                vstream.codec_context.options = {"profile": "baseline", "bf": "0"}
        y, u, v = YUV[colour]
        frames = int(seconds * fps) if vstream is not None else 0
        chunks = int(seconds * 48000) // samples if astream is not None else 0
        i = j = 0
        while i < frames or j < chunks:  # interleaved in time, as a real file is
            if j >= chunks or (i < frames and i / fps <= j * samples / 48000):
                assert vstream is not None
                picture = av.VideoFrame(width, height, "yuv420p")
                for plane, value in zip(picture.planes, (y, u, v), strict=True):
                    plane.update(bytes([value]) * plane.buffer_size)
                picture.pts, picture.time_base = i, Fraction(1, fps)
                out.mux(vstream.encode(picture))
                i += 1
            else:
                assert astream is not None
                if spoken is not None:
                    pcm = spoken[j * samples * 2 : (j + 1) * samples * 2].ljust(samples * 2, b"\0")
                else:
                    pcm = b"".join(
                        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * n / 48000)))
                        for n in range(j * samples, (j + 1) * samples)
                    )
                sound = av.AudioFrame(format="s16", layout="mono", samples=samples)
                sound.planes[0].update(pcm)
                sound.sample_rate, sound.pts = 48000, j * samples
                sound.time_base = Fraction(1, 48000)
                out.mux(astream.encode(sound))
                j += 1
        for stream in (vstream, astream):
            if stream is not None:
                out.mux(stream.encode(None))
    return path


def speech_pcm(wav: Path) -> bytes:
    """A WAV file's sound as 48 kHz mono signed 16-bit samples."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
    out = bytearray()
    with av.open(str(wav)) as source:
        for frame in source.decode(audio=0):
            for converted in resampler.resample(frame):
                out += bytes(converted.planes[0])[: converted.samples * 2]
    for converted in resampler.resample(None):
        out += bytes(converted.planes[0])[: converted.samples * 2]
    return bytes(out)
