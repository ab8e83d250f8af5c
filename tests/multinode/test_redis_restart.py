"""Redis restarted mid-session: commands are refused while it is down, then resume."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port, truncate
from tests.live.harness import LiveClient
from tests.live.test_durability import Process, add_user, read_log
from tests.multinode.test_two_web_nodes import admit, set_up


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
    sid, staff_token, tokens, _ = await set_up(node, 2)
    leader = await LiveClient.open(node.url, {"session": sid, "staff_token": staff_token})
    await leader.ok("join")
    client = await LiveClient.open(node.url, {"token": tokens[0]})
    pid = await admit(leader, client, "Ann")
    ben = await LiveClient.open(node.url, {"token": tokens[1]})
    ben_id = await admit(leader, ben, "Ben")
    await leader.ok("slide.show", {"index": 1})
    await client.wait_event("slide.shown", index=1)

    own_redis.stop()
    refused = await leader.call("slide.show", {"index": 2})
    assert refused["error"]["code"] == "unavailable"
    await ben.close()  # Ben's connection ends while nothing can be recorded
    own_redis.start()

    async with asyncio.timeout(30):  # the nodes reconnect by themselves
        while not (await leader.call("slide.show", {"index": 2}))["ok"]:
            await asyncio.sleep(0.5)
    await client.wait_event("slide.shown", index=2)
    # Ben's drop is recorded once Redis is back (the next heartbeat), and the leader sees it.
    await leader.wait_event("participant.dropped", participant=ben_id)
    await asyncio.sleep(4)  # one heartbeat: the node re-registers its connections
    await leader.ok("participant.remove", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "removed")

    stored, verified = await read_log(node, sid)
    assert verified
    shown = [e.data["index"] for e in stored if e.kind == "slide.shown"]
    assert shown == [1, 2]
    dropped = [e.data["participant"] for e in stored if e.kind == "participant.dropped"]
    assert dropped == [ben_id]
    await leader.close()
    await client.close()
