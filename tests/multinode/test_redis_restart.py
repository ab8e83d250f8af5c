"""Redis restarted mid-session: commands are refused while it is down, then resume."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, truncate
from tests.live.test_durability import Process, add_user, read_log
from tests.multinode.test_two_web_nodes import leader_and_client


class RedisServer:
    """A throwaway redis-server this test may stop and start."""

    def __init__(self) -> None:
        self.port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def own_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def node(tmp_path: Path, pg_url: str, own_redis: RedisServer) -> AsyncIterator[Process]:
    await truncate(pg_url, tmp_path)
    env = {"DATABASE_URL": pg_url, "REDIS_URL": f"redis://127.0.0.1:{own_redis.port}/0"}
    proc = Process(tmp_path / "n", env)
    add_user(proc.env, "dana")
    await proc.start()
    try:
        yield proc
    finally:
        proc.stop()


async def test_live_events_resume_after_redis_restarts(
    node: Process, own_redis: RedisServer
) -> None:
    sid, leader, client, pid = await leader_and_client(node)
    await leader.ok("slide.show", {"index": 1})
    await client.wait_event("slide.shown", index=1)

    own_redis.stop()
    refused = await leader.call("slide.show", {"index": 2})
    assert refused["error"]["code"] == "unavailable"
    own_redis.start()

    async with asyncio.timeout(30):  # the nodes reconnect by themselves
        while not (await leader.call("slide.show", {"index": 2}))["ok"]:
            await asyncio.sleep(0.5)
    await client.wait_event("slide.shown", index=2)
    await asyncio.sleep(4)  # one heartbeat: the node re-registers its connections
    await leader.ok("participant.remove", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "removed")

    stored, verified = await read_log(node, sid)
    assert verified
    shown = [e.data["index"] for e in stored if e.kind == "slide.shown"]
    assert shown == [1, 2]
    await leader.close()
    await client.close()
