"""Dominant speaker detection from the audio-level header extension."""

from __future__ import annotations

from sfu.speaker import DominantSpeaker
from tests.sfu.conftest import Harness, eventually


def test_loudest_steady_talker_becomes_dominant_and_holds_against_a_close_rival() -> None:
    speaker = DominantSpeaker()
    for _ in range(15):
        speaker.observe("ann", 20)
        speaker.observe("bob", 127)
    assert speaker.pick() == "ann"
    for _ in range(15):
        speaker.observe("ann", 22)
        speaker.observe("bob", 21)
    assert speaker.pick() is None, "a slightly louder rival does not take over"
    for _ in range(15):
        speaker.observe("ann", 127)
        speaker.observe("bob", 25)
    assert speaker.pick() == "bob"
    assert speaker.pick() is None, "nothing heard: no change"


async def test_speaking_participant_is_announced_to_everyone(harness: Harness) -> None:
    ann = await harness.joined("ann", None, speaking=False)
    bob = await harness.joined("bob", None, speaking=True)
    await eventually(lambda: all(p.events_of("speaker") for p in (ann, bob)), what="speaker events")
    assert ann.events_of("speaker")[-1] == {"type": "speaker", "participant": "bob"}

    assert bob.tone is not None and ann.tone is not None
    bob.tone.speaking, ann.tone.speaking = False, True
    await eventually(
        lambda: bob.events_of("speaker")[-1]["participant"] == "ann", what="ann takes over"
    )
