"""Media reaches every other participant, from the right publisher, without transcoding."""

from __future__ import annotations

from sfu import aiortc_internals as internals
from tests.sfu.conftest import Harness, eventually


async def test_each_subscriber_sees_only_the_right_colour(harness: Harness) -> None:
    colours = {"ann": "red", "bob": "green", "cat": "blue"}
    peers = [await harness.joined(pid, colour) for pid, colour in colours.items()]

    def everyone_sees_everyone() -> bool:
        return all(
            p.video_frames_from(other) >= 10 and p.audio_frames[other] >= 10
            for p in peers
            for other in colours
            if other != p.id
        )

    await eventually(everyone_sees_everyone, what="frames from every other publisher")
    room = harness.sfu._rooms[harness.room]
    for participant in room.participants.values():
        assert participant.pub_pc is not None
        for receiver in participant.pub_pc.getReceivers():
            assert not internals.decoder_running(receiver), "the SFU never decodes"
    for p in peers:
        assert p.id not in p.colours, "nobody receives their own video"
        for other, counts in p.colours.items():
            assert set(counts) == {colours[other]}, f"{p.id} got {counts} from {other}"


async def test_late_joiner_decodes_video_from_everyone(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 15, what="ann sees bob")

    cat = await harness.joined("cat", None)

    await eventually(
        lambda: cat.video_frames_from("ann") >= 3 and cat.video_frames_from("bob") >= 3,
        limit_s=10,
        what="a mid-stream joiner's first frames",
    )
    assert cat.colours["ann"].most_common(1)[0][0] == "red"
    assert bob.video_frames_from("ann") > 0


async def test_video_keeps_decoding_through_packet_loss_via_nacks(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = harness.peer("bob")
    bob.lossy = 0.05
    await bob.join()
    await bob.publish("green")
    await eventually(lambda: bob.video_frames_from("ann") >= 10, what="first frames")

    before = bob.video_frames_from("ann")
    await eventually(lambda: bob.dropped() >= 20, what="some packets lost")
    await eventually(lambda: bob.video_frames_from("ann") >= before + 30, what="more frames")

    assert harness.sfu.stats()["nacks_answered"] > 0
    assert set(bob.colours["ann"]) == {"red"}
    assert ann.video_frames_from("bob") > 0
