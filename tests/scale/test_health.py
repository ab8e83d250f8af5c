"""Liveness and readiness: /readyz follows the database, shutdown and (when shared) Redis."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.conftest import free_port
from tests.live.harness import Server, start_server
from tests.sfu.conftest import eventually


class OwnRedis:
    """A redis-server of this test alone, which it may stop and start again."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.proc = subprocess.Popen(["redis-server", *args], stdout=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def answers(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
        except OSError:
            return False
        return True


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.stop()


@pytest.fixture
async def redis_server(
    tmp_path: Path, own_redis: OwnRedis, redis_prefix: str
) -> AsyncIterator[Server]:
    await eventually(own_redis.answers, 10, "redis to listen")
    srv = await start_server(tmp_path, redis_url=own_redis.url, redis_prefix=redis_prefix)
    try:
        yield srv
    finally:
        await srv.stop()


async def probe(server: Server, path: str) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(server.url + path) as resp:
        return resp.status, await resp.json()


async def readyz_once_settled(server: Server, limit_s: float = 15) -> int:
    """/readyz's status, polled until it is 200 or ``limit_s`` passed."""
    deadline = time.monotonic() + limit_s
    while (status := (await probe(server, "/readyz"))[0]) != 200 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return status


async def test_a_single_node_is_live_and_ready_until_it_shuts_down(server: Server) -> None:
    assert await probe(server, "/healthz") == (200, {"ok": True})
    assert await probe(server, "/readyz") == (200, {"ok": True})
    server.services.accepting = False
    status, body = await probe(server, "/readyz")
    assert (status, body["reason"]) == (503, "shutting down")
    assert (await probe(server, "/healthz"))[0] == 200


async def test_readiness_follows_redis_going_away_and_coming_back(
    redis_server: Server, own_redis: OwnRedis
) -> None:
    assert await probe(redis_server, "/readyz") == (200, {"ok": True})

    own_redis.stop()
    status, body = await probe(redis_server, "/readyz")
    assert (status, body["reason"]) == (503, "redis unavailable")
    assert (await probe(redis_server, "/healthz"))[0] == 200

    own_redis.start()
    await eventually(own_redis.answers, 10, "redis to listen again")
    assert await readyz_once_settled(redis_server) == 200


async def redis_clients(redis: OwnRedis) -> list[str]:
    """The connections open on ``redis`` other than the one asking."""
    probe_client = aioredis.Redis.from_url(redis.url, decode_responses=True)
    try:
        listing = await probe_client.execute_command("CLIENT", "LIST")
    finally:
        await probe_client.aclose()
    lines = listing if isinstance(listing, list) else str(listing).splitlines()
    return [str(c) for c in lines if "cmd=client|list" not in str(c)]


async def test_a_node_that_stops_leaves_no_redis_connection_open_even_after_a_restart(
    tmp_path: Path, own_redis: OwnRedis, redis_prefix: str
) -> None:
    await eventually(own_redis.answers, 10, "redis to listen")
    srv = await start_server(tmp_path, redis_url=own_redis.url, redis_prefix=redis_prefix)
    try:
        # A live connection makes Socket.IO's Redis manager subscribe and publish.
        staff = await srv.staff("dana")
        leader = await staff.connect((await staff.create_session())["id"])
        await leader.ok("join")
        own_redis.stop()
        own_redis.start()
        await eventually(own_redis.answers, 10, "redis to listen again")
        assert await readyz_once_settled(srv) == 200
        await eventually(subscribed_again(own_redis), 15, "the manager to subscribe again")
    finally:
        await srv.stop()
    assert await redis_clients(own_redis) == []


def subscribed_again(redis: OwnRedis) -> Callable[[], bool]:
    """True once some connection of the node is subscribed again."""

    def subscribed() -> bool:
        out = subprocess.run(
            ["redis-cli", "-p", str(redis.port), "CLIENT", "LIST"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return "sub=1" in out

    return subscribed
