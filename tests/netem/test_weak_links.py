"""Subscribers on weak links over the test bed: each gets the layer its link carries."""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections import Counter

from sfu import SfuConfig
from tests.netem.conftest import MakeTestbed
from tests.netem.impaired import until
from tests.netem.test_simulcast import LAYERS, LOW, TOP, decodes

FREEZE_S = 2.0
"""A gap between decoded frames the person sees as a frozen picture (generous: the aiortc
subscriber holds its picture until a lost packet is repaired)."""


async def test_a_300_kbit_subscriber_gets_the_low_layer_while_a_fast_one_gets_the_top(
    make_testbed: MakeTestbed,
) -> None:
    bed = await make_testbed(3)
    ann = await bed.peer("ann")
    bob = await bed.peer("bob")
    cat = await bed.peer("cat")
    cat.limit(down_kbps=300)
    await ann.publish(LAYERS)

    await until(lambda: decodes(bob, "ann", TOP, 10), "bob gets the top layer", limit_s=60)
    await until(lambda: decodes(cat, "ann", LOW, 20), "cat settles on the low layer", limit_s=60)

    # The weak leg still tries the next layer now and then (to find a link that got
    # better); each try costs a second or two on it, and the tries space out (3, 6,
    # 12 s...). Over 16 s the SFU must forward the low layer most of the time, the
    # top never. (What the aiortc subscriber decodes is no measure of the share: after
    # a failed try its video jitter buffer, 512 packets deep, waits at a hole the
    # shaper left until a retransmission fills it, many seconds of the low layer;
    # runs here saw 40-66 low frames against 140-176 middle ones while the SFU sent
    # the low layer 13 s of 16.)
    leg = next(
        leg
        for leg in bed.sfu._rooms[bed.room].participants["cat"].legs.values()
        if leg.kind == "video"
    )
    forwarded: list[int] = []

    async def sample() -> None:
        while True:
            forwarded.append(leg.layer)
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    window_start = time.monotonic()
    await asyncio.sleep(16)
    sampler.cancel()
    await bob.collect()
    await cat.collect()
    cat_sizes = Counter(cat.sizes_from("ann", since=window_start))
    bob_sizes = Counter(bob.sizes_from("ann", since=window_start))
    shares = Counter(forwarded)
    assert cat_sizes[TOP] == 0 and shares[2] == 0, f"the top layer cannot fit: {cat_sizes}"
    assert shares[0] > 0.6 * len(forwarded), f"the low layer most of the time: {shares}"
    assert cat_sizes[LOW] >= 15, f"cat sees the low layer: {cat_sizes}"
    assert bob_sizes[TOP] > sum(bob_sizes.values()) / 2, bob_sizes
    assert cat.audio.get("ann", 0) > 40 * 16 * 0.8, "audio keeps flowing on the weak link"


async def test_an_80_kbit_subscriber_gets_audio_only_is_told_and_keeps_hearing(
    make_testbed: MakeTestbed,
) -> None:
    bed = await make_testbed(2, video_retry_s=30.0)
    ann = await bed.peer("ann")
    cat = await bed.peer("cat")
    cat.limit(down_kbps=80)
    await ann.publish(LAYERS)

    async def told_audio_only() -> bool:
        return any(not e["video"] for e in cat.events_of("media"))

    await until(told_audio_only, "cat is told video stopped", limit_s=60)
    told = next(e for e in cat.events_of("media") if not e["video"])
    assert told["reason"] == "weak_link" and "hear" in told["text"]

    await asyncio.sleep(2)  # the link's queue drains
    await cat.collect()
    start = time.monotonic()
    before = dict(cat.shim[0]["down_rtp"])
    await asyncio.sleep(6)
    await cat.collect()
    after = cat.shim[0]["down_rtp"]
    arrived = {int(pt): after[pt] - before.get(pt, 0) for pt in after}
    offer = cat.events_of("offer")[-1]["sdp"]
    opus = re.search(r"a=rtpmap:(\d+) opus/48000", offer, re.IGNORECASE)
    assert opus is not None
    opus_pt = int(opus.group(1))
    assert cat.sizes_from("ann", since=start + 1) == [], "no video while audio only"
    assert arrived.get(opus_pt, 0) / 6 > 45, f"audio packets per second of 50: {arrived}"
    assert sum(n for pt, n in arrived.items() if pt != opus_pt) < 6, f"video stopped: {arrived}"


RETRY_PROVEN_S = SfuConfig().video_proven_s
"""How long video that came back after sound only must go on, nothing told, to count as
settled: the SFU's own proof. A retry on a link just short of the low layer beside the
sound flowed for 30 s before it was paused again (CI; the test then waited 10 s here and
took it for settled)."""


async def test_a_150_kbit_subscriber_settles_instead_of_stalling_again_and_again(
    make_testbed: MakeTestbed,
) -> None:
    # 150 kbit/s carries the sound (about 50 kbit/s with its headers) but not the
    # 100 kbit/s low layer beside it. The person must end up with something steady:
    # sound only, told in words, and not "video is back" every few seconds.
    bed = await make_testbed(2)
    ann = await bed.peer("ann")
    cat = await bed.peer("cat")
    cat.limit(down_kbps=150)
    await ann.publish(LAYERS)

    def told() -> list[bool]:
        return [e["video"] for e in cat.events_of("media") if e.get("reason") == "weak_link"]

    published = time.monotonic()
    last_told = {"count": 0, "at": published}

    async def settled() -> bool:
        events = told()
        if len(events) != last_told["count"]:
            last_told["count"], last_told["at"] = len(events), time.monotonic()
        if events[:3] == [False, True, False]:
            return True  # paused, video tried again, paused: sound only from here
        # Or the link carries the low layer after all (the encoder undershoots a little).
        # Not just any moment with video on: a retry after sound only (the usual path)
        # is on for a few seconds before it fails, and taking it for settled failed the
        # test on the pause that follows (told [False, True], then False). Video on and
        # nothing told for RETRY_PROVEN_S is settled.
        steady = (not events or events[-1]) and time.monotonic() - last_told["at"] > RETRY_PROVEN_S
        return steady and await decodes(cat, "ann", LOW, 15)

    await until(settled, "cat settles: sound only after a failed retry, or the low layer", 120)
    video = told()[-1] if told() else True
    await asyncio.sleep(1)  # the link's queue drains
    await cat.collect()
    start, told_before, heard = time.monotonic(), len(told()), cat.audio.get("ann", 0)
    await asyncio.sleep(12)  # the first wait was 8 s; after a failed try it is longer
    await cat.collect()
    assert told()[told_before:] == [], "no back and forth between sound only and video"
    frames = [t for t, _, _ in cat.video.get("ann", []) if t >= start]
    if video:
        gaps = [b - a for a, b in itertools.pairwise([start, *frames, time.monotonic()])]
        assert max(gaps) < FREEZE_S, f"the low layer flows without stalls: {max(gaps):.1f} s"
    else:
        assert frames == [], "no stalled video while sound only"
    heard = cat.audio.get("ann", 0) - heard
    assert heard > 40 * 12, f"the sound keeps flowing: {heard} audio frames in 12 s (of 600)"


async def test_a_link_that_drops_to_250_kbit_and_recovers_switches_down_and_back_up(
    make_testbed: MakeTestbed,
) -> None:
    # How fast it switches and the longest freeze are measured in bench/netem_bench.py
    # --recovery (the issue asks for down within 2 s and up within 10 s, without a
    # freeze; on this loaded machine with aiortc as the subscriber the freezes vary from
    # 1 to 29 s, see docs/handover/hw.md). Here: that it switches down, keeps video, and
    # comes back up to the full picture.
    bed = await make_testbed(2)
    ann = await bed.peer("ann")
    cat = await bed.peer("cat")
    cat.limit(down_kbps=2000)
    await ann.publish(LAYERS)
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat gets the top layer at 2 Mbit/s", 60)

    cat.limit(down_kbps=250)
    await until(lambda: decodes(cat, "ann", LOW, 20), "cat switches down at 250 kbit/s", 90)
    recovered_at = time.monotonic()
    cat.limit(down_kbps=2000)
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat switches back up at 2 Mbit/s", 60)
    await cat.collect()

    assert TOP in cat.sizes_from("ann", since=recovered_at)
    assert all(e["video"] for e in cat.events_of("media")), "250 kbit/s carries video"
