"""A Chromium subscriber on weak links: what a browser user sees, not aiortc's jitter buffer.

The aiortc subscriber waits many seconds at a hole and never asks for a
keyframe after a decode error, so it hides what the SFU does; Chromium
(tests/netem/browser_peer.py) shows the picture the person would see.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

import pytest

from tests.chromium import CHROMIUM
from tests.netem.conftest import MakeTestbed
from tests.netem.impaired import ImpairedPeer, until
from tests.netem.shim import Impairment
from tests.netem.test_simulcast import LAYERS, LOW, TOP, decodes

MIDDLE = (320, 180)

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs {CHROMIUM}")


async def cat_watching_ann(
    make_testbed: MakeTestbed, down_kbps: int, loss: float = 0.0
) -> ImpairedPeer:
    """Chromium (cat) behind a `down_kbps` link (losing `loss` of what crosses it), with an
    aiortc publisher (ann) sending three layers."""
    bed = await make_testbed(2)
    ann = await bed.peer("ann")
    cat = await bed.peer("cat", browser=True)
    cat.limit(down_kbps=down_kbps)
    if loss:
        await cat.impair(down=Impairment(loss=loss))
    await ann.publish(LAYERS)
    return cat


async def sizes_seen_for(cat: ImpairedPeer, seconds: float) -> Counter[tuple[int, int]]:
    """The sizes of ann's frames `cat` decodes over the next `seconds`."""
    await cat.collect()
    start = time.monotonic()
    await asyncio.sleep(seconds)
    await cat.collect()
    return Counter(cat.sizes_from("ann", since=start))


async def test_chromium_behind_300_kbit_sees_the_low_layer_never_the_top_and_hears(
    make_testbed: MakeTestbed,
) -> None:
    cat = await cat_watching_ann(make_testbed, 300)

    await until(lambda: decodes(cat, "ann", LOW, 10), "cat sees the low layer", limit_s=60)
    await cat.collect()
    start, heard = time.monotonic(), cat.audio.get("ann", 0)
    await asyncio.sleep(10)
    await cat.collect()

    everything = Counter(cat.sizes_from("ann"))
    recent = Counter(cat.sizes_from("ann", since=start))
    assert everything[TOP] == 0, f"the top layer cannot fit in 300 kbit/s: {everything}"
    assert recent[LOW] >= 30, f"cat keeps seeing the low layer: {recent}"
    heard = cat.audio.get("ann", 0) - heard
    assert heard > 250, f"the sound keeps flowing: {heard} audio frames in 10 s (of 500)"


async def test_chromium_switches_down_when_its_link_drops_to_250_kbit_and_back_up_after(
    make_testbed: MakeTestbed,
) -> None:
    # How fast it switches and the longest freeze: bench/netem_bench.py --browser --recovery.
    cat = await cat_watching_ann(make_testbed, 2000)
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat sees the top layer at 2 Mbit/s", 40)

    cat.limit(down_kbps=250)
    await until(lambda: decodes(cat, "ann", LOW, 10), "cat sees the low layer at 250 kbit/s", 40)
    recovered_at = time.monotonic()
    cat.limit(down_kbps=2000)
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat sees the top layer again", 60)

    assert TOP in cat.sizes_from("ann", since=recovered_at)
    paused = [e for e in cat.events_of("media") if not e["video"]]
    assert not paused, f"250 kbit/s carries the low layer: no sound only, yet {paused}"


async def test_chromium_behind_600_kbit_keeps_the_middle_layer_between_probes(
    make_testbed: MakeTestbed,
) -> None:
    # The top layer (800 kbit/s) does not fit in 600 kbit/s; each probe of it fails. The
    # failed probe went back to the middle layer, but the next receiver report still
    # covered the probe's losses and took the leg on down to 160x90: Chromium saw the low
    # layer most of the time, climbing back through the middle one every 12-14 s.
    cat = await cat_watching_ann(make_testbed, 600)
    await until(lambda: decodes(cat, "ann", MIDDLE, 10), "cat sees the middle layer", 60)
    seen = await sizes_seen_for(cat, 20)
    assert seen[MIDDLE] > 2 * seen[LOW], f"600 kbit/s carries the middle layer: {seen}"


async def test_chromium_on_a_lossy_fast_link_keeps_the_top_layer_and_climbs_back_to_it(
    make_testbed: MakeTestbed,
) -> None:
    # Random loss is no full queue: stepping down does not lessen it. Chromium at 2 Mbit/s
    # with 10 % random loss fell to 320x180 and stayed: its receiver reports, one beside
    # each NACK, said 1/2 or 1/3 lost, and each step up failed on the sound's own loss.
    cat = await cat_watching_ann(make_testbed, 2000, loss=0.1)
    # Most of 2 s on the top layer: a start on it is no settling on it (its first frames
    # before the first loss figure came met a wait for 10, and the window began on a step down).
    await until(lambda: decodes(cat, "ann", TOP, 20), "cat settles on the top layer", 60)
    seen = await sizes_seen_for(cat, 15)
    # Most of the time, not all: a step up after a step down is a probe, and on a 10 %
    # link one figure over 4 % fails it (the leg fell to 320x180 and stayed, before).
    assert seen[TOP] > seen[MIDDLE] + seen[LOW], f"2 Mbit/s carries the top: {seen}"

    cat.limit(down_kbps=250)  # the link falls, and comes back: each step up is a probe
    await until(lambda: decodes(cat, "ann", LOW, 10), "cat sees the low layer at 250 kbit/s", 40)
    cat.limit(down_kbps=2000)
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat sees the top layer again", 60)
