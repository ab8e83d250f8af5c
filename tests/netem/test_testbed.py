"""The test bed itself: media crosses namespaces, tbf caps the rate, the shim loses packets."""

from __future__ import annotations

import subprocess

from tests.netem.conftest import MakeTestbed
from tests.netem.impaired import until
from tests.netem.shim import Impairment

ONE_LAYER = [(320, 180, 300_000)]


async def test_media_crosses_the_namespaces_and_they_are_removed(
    make_testbed: MakeTestbed,
) -> None:
    bed = await make_testbed(2)
    ann = await bed.peer("ann")
    bob = await bed.peer("bob")
    await ann.publish(ONE_LAYER)

    async def bob_decodes() -> bool:
        await bob.collect()
        return len(bob.sizes_from("ann")) >= 15 and bob.audio.get("ann", 0) >= 50

    await until(bob_decodes, "bob decodes ann across two namespaces")
    assert set(bob.sizes_from("ann")) == {(320, 180)}
    names = [ns.name for ns in bed.namespaces]
    await bed.close()
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not any(name in listed for name in names)


async def test_shim_loss_is_seen_as_loss_by_the_sfu(make_testbed: MakeTestbed) -> None:
    bed = await make_testbed(2)
    ann = await bed.peer("ann")
    bob = await bed.peer("bob")
    await bob.impair(down=Impairment(loss=0.1, delay_ms=30, jitter_ms=10))
    await ann.publish(ONE_LAYER)

    async def lossy_but_decoding() -> bool:
        await bob.collect()
        dropped = sum(flow["down_dropped"] for flow in bob.shim)
        return dropped >= 50 and len(bob.sizes_from("ann")) >= 30

    await until(lossy_but_decoding, "bob decodes through 10 % loss")
    assert bed.sfu.stats()["nacks_answered"] > 0
