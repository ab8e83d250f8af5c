"""Simulcast over the test bed: three real VP8 layers in, one layer per subscriber out."""

from __future__ import annotations

import itertools
import time

from tests.netem.conftest import MakeTestbed
from tests.netem.impaired import ImpairedPeer, until

# (width, height, bit/s), lowest first: three encoders, as a browser publishes them.
LAYERS = [(160, 90, 100_000), (320, 180, 300_000), (640, 360, 800_000)]
LOW, TOP = (160, 90), (640, 360)


async def decodes(peer: ImpairedPeer, publisher: str, size: tuple[int, int], frames: int) -> bool:
    """Whether `peer` decoded at least `frames` frames of `size` in its last 2 seconds."""
    await peer.collect()
    recent = peer.sizes_from(publisher, since=time.monotonic() - 2.0)
    return recent.count(size) >= frames


def switch_gaps(peer: ImpairedPeer, publisher: str, since: float) -> list[float]:
    """Seconds between the last frame of one size and the first of the next, per switch."""
    frames = [(t, (w, h)) for t, w, h in peer.video.get(publisher, []) if t >= since]
    return [
        later[0] - earlier[0]
        for earlier, later in itertools.pairwise(frames)
        if later[1] != earlier[1]
    ]


async def test_each_subscriber_gets_the_layer_its_tile_needs_and_switches_without_a_gap(
    make_testbed: MakeTestbed,
) -> None:
    bed = await make_testbed(3)
    ann = await bed.peer("ann")
    bob = await bed.peer("bob")
    cat = await bed.peer("cat")
    await cat.send({"type": "view", "publisher": "ann", "width": 160, "height": 90})
    await ann.publish(LAYERS)

    await until(lambda: decodes(bob, "ann", TOP, 10), "bob (no tile size) gets the top layer")
    await until(lambda: decodes(cat, "ann", LOW, 10), "cat (a thumbnail) gets the low layer")
    await cat.collect()
    assert TOP not in cat.sizes_from("ann", since=time.monotonic() - 2.0)

    switch_at = time.monotonic()
    await cat.send({"type": "view", "publisher": "ann", "width": 640, "height": 360})
    await until(lambda: decodes(cat, "ann", TOP, 10), "cat switches up to the top layer")
    await cat.collect()
    sizes = cat.sizes_from("ann", since=switch_at)
    assert set(sizes) <= {LOW, (320, 180), TOP}
    gaps = switch_gaps(cat, "ann", switch_at)
    assert gaps, "cat's picture changed size"
    assert max(gaps) < 0.3, f"a freeze on a layer switch: {gaps}"

    # And down again, at the next keyframe of the low layer, still without a freeze.
    down_at = time.monotonic()
    await cat.send({"type": "view", "publisher": "ann", "width": 160, "height": 90})
    await until(lambda: decodes(cat, "ann", LOW, 10), "cat switches back down")
    await cat.collect()
    gaps = switch_gaps(cat, "ann", down_at)
    assert gaps and max(gaps) < 0.3, f"a freeze on the switch down: {gaps}"
    await bob.collect()
    assert bob.sizes_from("ann", since=down_at).count(TOP) > 10, "bob kept the top layer"


async def test_the_publisher_is_told_which_layers_nobody_receives_and_again_when_one_is_needed(
    make_testbed: MakeTestbed,
) -> None:
    bed = await make_testbed(4)
    ann = await bed.peer("ann")
    bob = await bed.peer("bob")
    cat = await bed.peer("cat")
    await cat.send({"type": "view", "publisher": "ann", "width": 160, "height": 90})
    await ann.publish(LAYERS)

    async def told(paused: list[int]) -> bool:
        layers = ann.events_of("layers")
        return bool(layers) and layers[-1]["paused"] == paused

    await until(lambda: decodes(bob, "ann", TOP, 10), "bob gets the top layer")
    await until(lambda: decodes(cat, "ann", LOW, 10), "cat (a thumbnail) gets the low layer")
    await until(lambda: told([1]), "ann is told nobody receives the middle layer")

    await cat.send({"type": "leave"})
    await until(lambda: told([0, 1]), "the last receiver of the low layer left: ann is told")

    dan = await bed.peer("dan")
    await dan.send({"type": "view", "publisher": "ann", "width": 160, "height": 90})
    await until(lambda: told([1]), "someone needs the low layer again: ann is told")
    await until(lambda: decodes(dan, "ann", LOW, 10), "and dan gets it")
