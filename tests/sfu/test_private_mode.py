"""Private group mode: the SFU forwards no group member's media to another group member."""

from __future__ import annotations

import asyncio

import pytest

from sfu.errors import BadMessage
from tests.sfu.conftest import Harness, eventually

PRIVATE = {"type": "privacy", "on": True, "voices": False, "open": ["lead"]}


async def test_group_members_receive_the_lead_but_not_each_other(harness: Harness) -> None:
    lead = await harness.joined("lead", "red")
    ann = await harness.joined("ann", "blue")
    bob = await harness.joined("bob", "green")
    await eventually(
        lambda: ann.video_frames_from("bob") >= 5 and bob.video_frames_from("ann") >= 5,
        what="the group sees each other before private mode",
    )

    await lead.send(PRIVATE)
    # Renegotiated: the clients' tracks of each other are gone from their subscriptions.
    await eventually(
        lambda: (
            "bob" not in _subscribed(harness, "ann") and "ann" not in _subscribed(harness, "bob")
        ),
        what="client legs removed",
    )
    ann_from_bob, ann_from_lead = ann.video_frames_from("bob"), ann.video_frames_from("lead")
    bob_audio = ann.audio_frames["bob"]
    await eventually(
        lambda: ann.video_frames_from("lead") > ann_from_lead + 30, what="lead's video"
    )
    await asyncio.sleep(0.5)  # frames already in flight have landed
    assert ann.video_frames_from("bob") - ann_from_bob <= 3
    assert ann.audio_frames["bob"] - bob_audio <= 10
    # The lead still sees everyone.
    seen = lead.video_frames_from("ann"), lead.video_frames_from("bob")
    await eventually(
        lambda: (
            lead.video_frames_from("ann") > seen[0] + 20
            and lead.video_frames_from("bob") > seen[1] + 20
        ),
        what="lead sees the group",
    )


async def test_voices_carry_a_member_who_shows_themselves_is_seen_and_a_newcomer_is_hidden(
    harness: Harness,
) -> None:
    lead = await harness.joined("lead", "red")
    ann = await harness.joined("ann", "blue")
    await lead.send({**PRIVATE, "voices": True, "shown": ["ann"]})
    carl = await harness.joined("carl", "green")  # not named by the app: a group member
    await eventually(
        lambda: carl.video_frames_from("ann") >= 10 and carl.video_frames_from("lead") >= 10,
        what="the shown member and the lead reach the newcomer",
    )
    await eventually(lambda: ann.audio_frames["carl"] >= 20, what="the newcomer's voice")
    assert "carl" not in _subscribed(harness, "ann", "video")
    assert ann.video_frames_from("carl") == 0

    await lead.send({"type": "privacy", "on": False})
    await eventually(lambda: ann.video_frames_from("carl") >= 10, what="mode off: all seen")


async def test_a_bad_privacy_message_is_refused(harness: Harness) -> None:
    lead = await harness.joined("lead", None)
    with pytest.raises(BadMessage):
        await lead.send({"type": "privacy", "on": True, "open": "lead"})
    with pytest.raises(BadMessage):
        await lead.send({"type": "privacy", "on": "yes"})
    assert harness.sfu._rooms[harness.room].privacy.on is False


def _subscribed(harness: Harness, pid: str, kind: str | None = None) -> set[str]:
    """Publishers whose tracks the SFU forwards to ``pid`` now."""
    participant = harness.sfu._rooms[harness.room].participants[pid]
    return {
        leg.publisher_id for leg in participant.legs.values() if kind is None or leg.kind == kind
    }
