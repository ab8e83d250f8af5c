"""Clips: a file's VP8/H.264 and Opus packets forwarded to the room as `clip~<id>`, never re-encoded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sfu.errors import BadClip, BadMessage, NotInRoom
from sfu.messages import parse_request
from tests.clip_files import make_clip
from tests.sfu.conftest import Harness, eventually


@pytest.fixture(autouse=True, params=["python"])
def fanout_path(request: pytest.FixtureRequest) -> str:
    """Clips do not touch the per-leg loop: one forwarding path is enough here."""
    return str(request.param)


async def test_a_clip_reaches_everyone_pauses_resumes_and_stops(
    harness: Harness, tmp_path: Path
) -> None:
    clip = make_clip(tmp_path / "calm.webm", seconds=30, colour="blue")
    lead = await harness.joined("lead", "red")
    bob = await harness.joined("bob", "green")
    carl = await harness.joined("carl", None)
    await carl.send({"type": "audio_only", "on": True})
    reply = await lead.send({"type": "clip", "action": "play", "clip": "c1", "path": str(clip)})
    assert reply["type"] == "clip" and reply["playing"] and reply["duration"] > 29
    for peer in (lead, bob):
        await eventually(lambda p=peer: p.video_frames_from("clip~c1") > 10, what="clip video")
        assert set(peer.colours["clip~c1"]) == {"blue"}
        await eventually(lambda p=peer: p.audio_frames["clip~c1"] > 20, what="clip sound")
    await eventually(lambda: carl.audio_frames["clip~c1"] > 20, what="audio-only hears it")
    assert carl.video_frames_from("clip~c1") == 0, "audio only: no picture"

    paused = await lead.send({"type": "clip", "action": "pause", "clip": "c1"})
    assert not paused["playing"] and paused["position"] > 0
    await asyncio.sleep(0.5)  # what was on the way arrives
    frames = bob.video_frames_from("clip~c1")
    await asyncio.sleep(1.0)
    assert bob.video_frames_from("clip~c1") == frames, "no frames while paused"

    resumed = await lead.send({"type": "clip", "action": "resume", "clip": "c1"})
    assert resumed["playing"]
    await eventually(lambda: bob.video_frames_from("clip~c1") > frames + 10, what="resumed")
    sought = await lead.send({"type": "clip", "action": "seek", "clip": "c1", "offset": 20})
    assert sought["playing"]
    await eventually(lambda: bob.video_frames_from("clip~c1") > frames + 30, what="after seek")

    late = await harness.joined("dana", None)
    await eventually(lambda: late.video_frames_from("clip~c1") > 5, what="a late joiner sees it")

    stopped = await lead.send({"type": "clip", "action": "stop", "clip": "c1"})
    assert stopped["gone"]
    await eventually(
        lambda: any(e["participant"] == "clip~c1" for e in bob.events_of("track_removed")),
        what="the clip's tracks removed",
    )
    room = harness.sfu._rooms[harness.room]
    assert set(room.participants) == {"lead", "bob", "carl", "dana"} and not room.clips


async def test_an_h264_mp4_clip_is_forwarded(harness: Harness, tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "calm.mp4", seconds=10, colour="yellow", video="libx264")
    lead = await harness.joined("lead", "red")
    bob = await harness.joined("bob", "green")
    await lead.send({"type": "clip", "action": "play", "clip": "c2", "path": str(clip)})
    await eventually(lambda: bob.video_frames_from("clip~c2") > 10, what="H.264 clip video")
    assert set(bob.colours["clip~c2"]) == {"yellow"}


async def test_bad_clips_are_refused(harness: Harness, tmp_path: Path) -> None:
    lead = await harness.joined("lead", "red")
    text = tmp_path / "notes.webm"
    text.write_text("not a video")
    with pytest.raises(BadClip):
        await lead.send({"type": "clip", "action": "play", "clip": "c1", "path": str(text)})
    with pytest.raises(NotInRoom):
        await lead.send({"type": "clip", "action": "pause", "clip": "c9"})
    for bad in (
        {"type": "clip", "action": "jump", "clip": "c1"},
        {"type": "clip", "action": "play", "clip": "c1", "path": "relative.webm"},
        {"type": "clip", "action": "seek", "clip": "c1", "offset": -1},
        {"type": "clip", "action": "play", "clip": "a~b", "path": "/x.webm"},
    ):
        with pytest.raises(BadMessage):
            parse_request(bad)
    assert set(harness.sfu._rooms[harness.room].participants) == {"lead"}
