"""Screen shares: a second video per participant, forwarded like their camera, never re-encoded."""

from __future__ import annotations

import pytest

from sfu.errors import BadMessage
from sfu.messages import parse_request
from tests.sfu.conftest import Harness, eventually


async def test_a_share_reaches_everyone_but_its_sharer_and_ends_with_them(
    harness: Harness,
) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await ann.share_screen("yellow")
    await eventually(lambda: bob.video_frames_from("ann~screen") > 10, what="Bob sees the share")
    assert set(bob.colours["ann~screen"]) == {"yellow"}
    await eventually(lambda: bob.video_frames_from("ann") > 10, what="Bob still sees Ann")
    assert set(bob.colours["ann"]) == {"red"}
    assert "ann~screen" not in ann.mids.values(), "the sharer is not sent their own share"
    room = harness.sfu._rooms[harness.room]
    assert set(room.participants) == {"ann", "bob", "ann~screen"}

    await ann.send({"type": "leave"})
    await eventually(
        lambda: any(e["participant"] == "ann~screen" for e in bob.events_of("track_removed")),
        what="the share removed with Ann",
    )
    assert set(room.participants) == {"bob"}


async def test_a_share_is_stopped_on_request_and_takes_video_only(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await ann.share_screen("yellow")
    await eventually(lambda: bob.video_frames_from("ann~screen") > 5, what="Bob sees the share")
    await bob.send({"type": "stop_screen", "target": "ann"})
    room = harness.sfu._rooms[harness.room]
    assert "ann~screen" not in room.participants
    assert set(room.participants) == {"ann", "bob"}
    with pytest.raises(BadMessage):
        parse_request({"type": "publish", "sdp": "v=0", "source": "window"})
    with pytest.raises(BadMessage):
        parse_request({"type": "stop_screen", "target": "ann~screen"})


async def test_a_share_follows_its_owners_privacy(harness: Harness) -> None:
    lead = await harness.joined("lead", "red")
    ann = await harness.joined("ann", "green")
    bob = await harness.joined("bob", "blue")
    await lead.send({"type": "privacy", "on": True, "voices": True, "open": ["lead"]})
    await ann.share_screen("yellow")
    await eventually(lambda: lead.video_frames_from("ann~screen") > 10, what="the lead sees it")
    assert "ann~screen" not in bob.mids.values(), "a hidden group member's share stays hidden"

    await lead.send({"type": "privacy", "on": True, "open": ["lead"], "shown": ["ann"]})
    await eventually(lambda: bob.video_frames_from("ann~screen") > 10, what="Ann shows herself")
    assert set(bob.colours["ann~screen"]) == {"yellow"}


async def test_a_share_is_recorded_when_its_owner_consented(harness: Harness) -> None:
    ann = await harness.joined("ann", "red", audio=False)
    bob = await harness.joined("bob", "green", audio=False)
    await ann.send({"type": "record", "on": True, "allowed": ["ann"]})
    await ann.share_screen("yellow")
    await bob.share_screen("blue")
    await eventually(lambda: ann.video_frames_from("bob~screen") > 10, what="Bob's share flows")
    recording = harness.sfu._rooms[harness.room].recording
    assert recording is not None
    await eventually(
        lambda: (
            {t.path.name for t in recording.tracks() if t.frames >= 10}
            == {"ann.video.webm", "ann~screen.video.webm"}
        ),
        what="Ann's camera and share recorded, nothing of Bob",
    )
    await ann.send({"type": "record", "on": False})
    directory = harness.config.recordings_dir / harness.room
    assert sorted(p.name for p in directory.iterdir()) == [
        "ann.video.webm",
        "ann~screen.video.webm",
    ]
