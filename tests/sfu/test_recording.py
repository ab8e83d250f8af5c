"""Recordings: consenting participants' encoded media muxed to WebM, readable after a crash."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import av

from tests.sfu.conftest import Harness, eventually


def frame_count(path: Path, kind: str) -> int:
    with av.open(str(path)) as container:
        stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        return sum(1 for packet in container.demux(stream) if packet.size)


async def test_recording_holds_only_consenting_participants_tracks(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="media flowing")

    reply = await ann.send({"type": "record", "on": True, "allowed": ["ann"]})
    assert reply["on"] is True
    assert all(p.events_of("recording")[-1]["on"] for p in harness.peers.values())
    room = harness.sfu._rooms[harness.room]
    recording = room.recording
    assert recording is not None
    await eventually(
        lambda: len(recording.tracks()) == 2 and all(t.frames >= 30 for t in recording.tracks()),
        what="frames recorded",
    )
    await ann.send({"type": "record", "on": True, "allowed": ["ann", "bob"]})
    await eventually(
        lambda: len(recording.tracks()) == 4 and all(t.frames >= 10 for t in recording.tracks()),
        what="bob recorded once he consents",
    )
    await ann.send({"type": "record", "on": False})
    written = {t.path.name: t.frames for t in recording.tracks()}

    directory = harness.config.recordings_dir / harness.room
    assert (
        sorted(p.name for p in directory.iterdir())
        == sorted(written)
        == [
            "ann.audio.webm",
            "ann.video.webm",
            "bob.audio.webm",
            "bob.video.webm",
        ]
    )
    with av.open(str(directory / "ann.video.webm")) as container:
        assert [s.codec_context.name for s in container.streams] == ["vp8"]
        first = next(container.decode(video=0))
        assert (first.width, first.height) == (160, 120)
    with av.open(str(directory / "ann.audio.webm")) as container:
        assert [s.codec_context.name for s in container.streams] == ["opus"]
    for name, frames in written.items():
        count = frame_count(directory / name, name.split(".")[1])
        assert frames * 0.9 <= count <= frames + 1, (name, count, frames)


CRASHING_WRITER = textwrap.dedent(
    """
    import fractions, os, sys, time
    import av
    from sfu.recorder import TrackRecording

    class Frame:
        def __init__(self, data, timestamp):
            self.data, self.timestamp = data, timestamp

    class Codec:
        clockRate = 90000

    enc = av.CodecContext.create("libvpx", "w")
    enc.width, enc.height, enc.pix_fmt = 160, 120, "yuv420p"
    enc.time_base = fractions.Fraction(1, 30)
    recording = TrackRecording(__import__("pathlib").Path(sys.argv[1]), "video/vp8", 0.0)
    for n in range(90):
        frame = av.VideoFrame(160, 120, "yuv420p")
        frame.pts = n
        for packet in enc.encode(frame):
            recording.write(Codec, Frame(bytes(packet), n * 3000), n / 30)
    print("written", recording.frames, flush=True)
    time.sleep(60)
    """
)


def test_recording_survives_a_crash_up_to_the_last_moments(tmp_path: Path) -> None:
    path = tmp_path / "crash.video.webm"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(path)], stdout=subprocess.PIPE, env=env
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline().decode()
        assert line.startswith("written"), line
        written = int(line.split()[1])
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        if child.stdout is not None:
            child.stdout.close()

    recovered = frame_count(path, "video")
    assert written - 30 <= recovered <= written


async def test_a_republished_track_is_recorded_to_a_new_file(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await ann.send({"type": "record", "on": True, "allowed": ["ann"]})
    recording = harness.sfu._rooms[harness.room].recording
    assert recording is not None
    await eventually(lambda: sum(t.frames for t in recording.tracks()) >= 20, what="frames")

    await ann.publish("blue", audio=False)

    await eventually(
        lambda: any(
            t.path.name == "ann.video-2.webm" and t.frames >= 5 for t in recording.tracks()
        ),
        what="a second video file",
    )
    await ann.send({"type": "record", "on": False})
    directory = harness.config.recordings_dir / harness.room
    assert frame_count(directory / "ann.video.webm", "video") > 0
    assert frame_count(directory / "ann.video-2.webm", "video") > 0


async def test_recording_again_never_overwrites_an_earlier_file(harness: Harness) -> None:
    ann = await harness.joined("ann", "red", audio=False)
    directory = harness.config.recordings_dir / harness.room
    for round_ in (1, 2):
        await ann.send({"type": "record", "on": True, "allowed": ["ann"]})
        recording = harness.sfu._rooms[harness.room].recording
        assert recording is not None
        await eventually(
            lambda r=recording: sum(t.frames for t in r.tracks()) >= 15, what=f"round {round_}"
        )
        await ann.send({"type": "record", "on": False})
    names = sorted(p.name for p in directory.iterdir())
    assert names == ["ann.video-2.webm", "ann.video.webm"]
    assert all(frame_count(directory / name, "video") >= 15 for name in names)
