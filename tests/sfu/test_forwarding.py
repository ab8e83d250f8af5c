"""Media reaches every other participant, from the right publisher, without transcoding."""

from __future__ import annotations

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
    for p in peers:
        assert p.id not in p.colours, "nobody receives their own video"
        for other, counts in p.colours.items():
            assert set(counts) == {colours[other]}, f"{p.id} got {counts} from {other}"
