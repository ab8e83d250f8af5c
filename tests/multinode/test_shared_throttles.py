"""Throttles hold across web nodes that share Redis (issue 12).

Two app nodes on one PostgreSQL database and one Redis (each test its own key
prefix). Before the throttles counted in Redis, each node kept its own counts:
guesses or connections spread over two nodes got twice the limit.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from imr_live.domain.accounts import ACCOUNT_MAX_FAILURES
from tests.conftest import truncate
from tests.http.test_sign_in_throttle import sign_in
from tests.live.harness import PASSWORD, Server, start_server
from tests.live.test_flood_fairness import open_from

CONNECTS = 6


@pytest.fixture
async def two_nodes(
    tmp_path: Path, pg_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[Server, Server]]:
    await truncate(pg_url, tmp_path)
    shared = {
        "database_url": pg_url,
        "redis_url": redis_url,
        "redis_prefix": redis_prefix,
        "connects_per_minute": CONNECTS,
    }
    a = await start_server(tmp_path / "a", **shared)
    b = await start_server(tmp_path / "b", **shared)
    try:
        yield a, b
    finally:
        await a.stop()
        await b.stop()


async def test_wrong_passwords_spread_over_two_nodes_pause_the_name_on_both(
    two_nodes: tuple[Server, Server],
) -> None:
    a, b = two_nodes
    await a.staff("dana")
    async with (
        aiohttp.ClientSession(base_url=a.url) as on_a,
        aiohttp.ClientSession(base_url=b.url) as on_b,
    ):
        for i in range(ACCOUNT_MAX_FAILURES):  # alternating: neither node alone sees them all
            assert await sign_in(on_a if i % 2 else on_b, "dana", "wrong password") == 401
        assert await sign_in(on_a, "dana", PASSWORD) == 429
        assert await sign_in(on_b, "dana", PASSWORD) == 429


async def test_connections_per_address_count_on_both_nodes(
    two_nodes: tuple[Server, Server],
) -> None:
    a, b = two_nodes
    lead = await a.staff("dana")
    sid = (await lead.create_session())["id"]
    auth = {"session": sid, "staff_token": lead.token}
    if time.time() % 60 > 45:  # the count is per clock minute: start in a fresh one
        await asyncio.sleep(60 - time.time() % 60 + 0.1)
    opened = []
    for i in range(CONNECTS):  # half on each node, from one address
        raw, refusal = await open_from((a, b)[i % 2].url, auth, "127.0.0.3")
        assert raw is not None, refusal
        opened.append(raw)
    for node in (a, b):
        raw, refusal = await open_from(node.url, auth, "127.0.0.3")
        assert raw is None and refusal["code"] == "rate_limited", refusal
    # Another address is not held back by it.
    raw, refusal = await open_from(b.url, auth, "127.0.0.4")
    assert raw is not None, refusal
    opened.append(raw)
    for socket in opened:
        await socket.close()
