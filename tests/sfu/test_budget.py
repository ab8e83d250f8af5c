"""Weak links: publishers' video is capped so each subscriber's total stays within budget."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tests.sfu.conftest import Harness, eventually


def encoder_target(peer: Any) -> int | None:
    """The bitrate the publisher's own VP8 encoder was told to aim for (by REMB)."""
    for sender in peer.pub_pc.getSenders():
        if sender.kind == "video":
            encoder = sender.__dict__.get("_RTCRtpSender__encoder")
            return getattr(encoder, "target_bitrate", None)
    return None


async def test_each_publisher_gets_a_share_of_the_subscriber_budget(tmp_path: Path) -> None:
    harness = Harness(tmp_path, video_budget_kbps=700, remb_interval_s=0.2)
    try:
        peers = [await harness.joined(p, c) for p, c in (("ann", "red"), ("bob", "green"))]
        room = harness.sfu._rooms[harness.room]
        assert room.video_cap_bps() == 700_000
        peers.append(await harness.joined("cat", "blue"))
        assert room.video_cap_bps() == 350_000, "each subscriber receives two videos"
        await eventually(
            lambda: all(encoder_target(p) == 350_000 for p in peers), what="REMB applied"
        )
    finally:
        await harness.close()


async def test_weak_link_warning_until_audio_only(tmp_path: Path) -> None:
    # NACK repair hides part of the loss from receiver reports: lose a lot.
    harness = Harness(tmp_path, remb_interval_s=0.2, weak_link_loss=0.05)
    try:
        await harness.joined("ann", "red")
        bob = harness.peer("bob")
        bob.lossy = 0.4
        await bob.join()
        await eventually(lambda: bool(bob.events_of("link_quality")), what="a weak-link warning")
        warning = bob.events_of("link_quality")[0]
        assert warning["weak"] is True and warning["loss"] > 0.05
        assert warning["suggest"] == "audio_only"
        # Loss that hovers around the threshold does not flip the verdict every check.
        await asyncio.sleep(3)
        assert [e["weak"] for e in bob.events_of("link_quality")] == [True]

        # Audio only pauses bob's video: its last loss report is stale and no longer counts.
        await bob.send({"type": "audio_only", "on": True})
        await eventually(
            lambda: len(bob.events_of("link_quality")) >= 2, what="the weak link cleared"
        )
        assert bob.events_of("link_quality")[1]["weak"] is False
    finally:
        await harness.close()
