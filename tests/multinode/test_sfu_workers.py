"""SFU workers: rooms are placed on a worker; when it dies, the room moves and media resumes."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from tests.live.harness import LiveClient, Server, start_server
from tests.live.test_media_over_live_channel import SocketPeer
from tests.live.test_permissions import admitted_guest
from tests.sfu.conftest import eventually


class RestartingPeer(SocketPeer):
    """Re-joins and re-publishes its media when told the media server moved."""

    def __init__(self, client: LiveClient, pid: str, colour: str) -> None:
        super().__init__(client, pid)
        self.colour = colour
        self.restarts = 0
        self._restart: asyncio.Task[None] | None = None

    def emitted(self, event: dict[str, Any]) -> None:
        if event.get("type") == "restart":
            self._restart = asyncio.create_task(self.restart())
            return
        super().emitted(event)

    async def restart(self) -> None:
        for pc in (self.pub_pc, self.sub_pc):
            if pc is not None:
                await pc.close()
        self.pub_pc = self.sub_pc = None
        self.colours.clear()
        await self.join()
        await self.publish(self.colour)
        self.restarts += 1

    async def close(self) -> None:
        if self._restart is not None:
            await asyncio.gather(self._restart, return_exceptions=True)
        await super().close()


@pytest.fixture
def workers(
    redis_url: str, redis_prefix: str, tmp_path: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "IMR_REDIS_PREFIX": redis_prefix,
        "IMR_DATA_DIR": str(tmp_path / "w"),
        "IMR_RECORDINGS_DIR": str(tmp_path / "rec"),
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "imr_live.cli", "sfu"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
                proc.wait(15)


@pytest.fixture
async def web(
    tmp_path: Path, redis_url: str, redis_prefix: str, workers: Any
) -> AsyncIterator[Server]:
    srv = await start_server(
        tmp_path, sfu=True, sfu_workers=True, redis_url=redis_url, redis_prefix=redis_prefix
    )
    try:
        yield srv
    finally:
        await srv.stop()


async def live_workers(redis_url: str, prefix: str) -> dict[str, str]:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        found = {}
        async for key in client.scan_iter(match=f"{prefix}sfu:w:*"):
            found[key.rsplit(":", 1)[1]] = key
        return found
    finally:
        await client.aclose()


async def room_worker(redis_url: str, prefix: str, room: str) -> str:
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)
    try:
        return str(await client.get(f"{prefix}sfu:room:{room}"))
    finally:
        await client.aclose()


async def test_a_dead_workers_room_moves_and_everyone_decodes_again(
    web: Server, redis_url: str, redis_prefix: str
) -> None:
    async with asyncio.timeout(30):
        while len(await live_workers(redis_url, redis_prefix)) < 2:
            await asyncio.sleep(0.2)
    clinician = await web.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(web, leader, await clinician.invite(sid), "Ann")
    peers = [RestartingPeer(leader, clinician.id, "red"), RestartingPeer(client, client_id, "blue")]
    try:
        for peer in peers:
            await peer.join()
            await peer.publish(peer.colour)
        await eventually(lambda: peers[0].video_frames_from(client_id) > 5, what="leader sees Ann")
        await eventually(
            lambda: peers[1].video_frames_from(clinician.id) > 5, what="Ann sees leader"
        )

        holder = await room_worker(redis_url, redis_prefix, sid)
        os.kill(int(holder.split("-")[1]), signal.SIGKILL)
        await eventually(lambda: all(p.restarts for p in peers), 60, "peers told to restart media")
        assert await room_worker(redis_url, redis_prefix, sid) not in (holder, "None")
        await eventually(
            lambda: peers[0].video_frames_from(client_id) > 5, 60, "leader sees Ann again"
        )
        await eventually(
            lambda: peers[1].video_frames_from(clinician.id) > 5, 60, "Ann sees leader again"
        )
        assert set(peers[1].colours[clinician.id]) == {"red"}
    finally:
        for peer in peers:
            await peer.close()
