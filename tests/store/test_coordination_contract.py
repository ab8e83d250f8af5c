"""Presence and session locks behave the same in memory and through Redis."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from imr_live.store.coordination import MemoryCoordination
from imr_live.store.redis_coordination import RedisCoordination


@pytest.fixture(params=["memory", "redis"])
async def coord(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "memory":
        yield MemoryCoordination()
        return
    shared = RedisCoordination(
        request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    )
    await shared.start()
    try:
        yield shared
    finally:
        await shared.close()


async def test_connections_are_counted_per_participant(coord: Any) -> None:
    await coord.add_connection("s1", "p1", "c1")
    await coord.add_connection("s1", "p1", "c2")
    await coord.add_connection("s1", "p2", "c3")
    assert await coord.connections("s1", "p1") == ["c1", "c2"]
    assert await coord.connected("s1") == ["p1", "p2"]
    assert await coord.remove_connection("s1", "p1", "c1") == 1
    assert await coord.remove_connection("s1", "p1", "c2") == 0
    assert await coord.connected("s1") == ["p2"]
    assert await coord.connections("s2", "p1") == []


async def test_the_session_lock_serializes_commands(coord: Any) -> None:
    order: list[str] = []

    async def command(name: str) -> None:
        async with coord.session_lock("s1"):
            order.append(f"{name}+")
            await asyncio.sleep(0.05)
            order.append(f"{name}-")

    await asyncio.gather(command("a"), command("b"), command("c"))
    assert all(order[i][0] == order[i + 1][0] for i in range(0, len(order), 2))


async def test_a_burst_of_joins_waits_for_connections_instead_of_failing(coord: Any) -> None:
    """300 people joining one node at once: every join gets through, none is told "unavailable"."""

    async def join(i: int) -> None:
        await coord.add_connection("burst", f"p{i}", f"c{i}")
        async with coord.session_lock(f"s{i % 3}"):
            await asyncio.sleep(0)

    await asyncio.gather(*(join(i) for i in range(300)))
    assert len(await coord.connected("burst")) == 300


async def test_a_dead_nodes_connections_expire_and_are_reported(
    redis_url: str, redis_prefix: str
) -> None:
    alive, dying = (
        RedisCoordination(redis_url, redis_prefix),
        RedisCoordination(redis_url, redis_prefix),
    )
    await alive.start()
    await dying.start()
    lost: list[tuple[str, str]] = []

    async def on_lost(session_id: str, participant_id: str, closed_at: int | None) -> None:
        assert closed_at is None  # a dead node cannot say when its connections closed
        lost.append((session_id, participant_id))

    alive.on_lost = on_lost
    await dying.add_connection("s1", "p_gone", "c1")
    await alive.add_connection("s1", "p_here", "c2")
    assert await alive.connected("s1") == ["p_gone", "p_here"]
    await dying.close()  # its heartbeat key is gone, as after a crash and its expiry
    assert await alive.connected("s1") == ["p_here"]
    await alive.sweep()
    assert lost == [("s1", "p_gone")]
    await alive.close()
