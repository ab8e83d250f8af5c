"""Fixtures for tests over the impaired-network test bed (root, iproute2, tc)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from tests.netem.impaired import Testbed
from tests.netem.namespace import can_make_namespaces

MakeTestbed = Callable[..., Awaitable[Testbed]]


@pytest.fixture
async def make_testbed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[MakeTestbed]:
    """`await make_testbed(peers, **sfu_settings)`: namespaces and an SFU, removed afterwards.

    The SFU's decisions (layers, sound only, its estimates) are kept at INFO, so a failure
    shows what the SFU chose and why: timing-bound failures here seldom come again on demand.
    """
    if not can_make_namespaces():
        pytest.skip("the test bed needs root and iproute2 (network namespaces)")
    caplog.set_level(logging.INFO, logger="sfu")
    beds: list[Testbed] = []

    async def make(peers: int, **settings: Any) -> Testbed:
        bed = Testbed(tmp_path, peers, **settings)
        beds.append(bed)
        return bed

    try:
        yield make
    finally:
        for bed in beds:
            await bed.close()
