"""The ``imr-live sfu`` process: one SfuService fed by its Redis request queue.

It announces itself with a heartbeat (its load: rooms, participants), serves
requests of each room in order, replies on the asking node's channel, and
reaches browsers through a write-only Socket.IO Redis manager.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
from typing import Any

from redis.exceptions import RedisError

from imr_live.media.placement import Placement
from imr_live.media.rooms import person_room
from imr_live.media.rpc import CLOSE_ROOM, RpcReply, RpcRequest, remote_error
from imr_live.media.socketio_redis import ClosingRedisManager
from imr_live.store import redis_client
from sfu.config import SfuConfig
from sfu.errors import SfuError
from sfu.service import SfuService

log = logging.getLogger("imr_live.media.worker")


class SfuWorker:
    """Serves the rooms placed on it until stopped."""

    def __init__(
        self, url: str, prefix: str, config: SfuConfig, worker_ttl_s: float = 10.0
    ) -> None:
        self.redis = redis_client.connect(url)
        self.placement = Placement(self.redis, prefix, worker_ttl_s)
        self.id = f"sfu-{os.getpid()}-{secrets.token_hex(3)}"
        self.emitter = ClosingRedisManager(url, channel=f"{prefix}socketio", write_only=True)
        self.service = SfuService(config, self._emit)
        self._room_locks: dict[str, asyncio.Lock] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._stop = asyncio.Event()

    async def _emit(self, room: str, participant: str, event: dict[str, Any]) -> None:
        await self.emitter.emit("media", event, namespace="/", room=person_room(room, participant))

    async def run(self) -> None:
        """Heartbeat and serve until SIGTERM/SIGINT."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self._stop.set)
        beat = asyncio.create_task(self._heartbeat(), name="sfu-heartbeat")
        log.info("SFU worker %s ready", self.id)
        try:
            await self._serve()
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await beat
            await self._shutdown()

    async def _heartbeat(self) -> None:
        while True:
            stats = self.service.stats()
            load = {k: stats[k] for k in ("rooms", "participants", "forwarded_packets")}
            try:
                await self.placement.announce(self.id, load)
            except (RedisError, OSError) as exc:
                log.warning("heartbeat failed: %s", type(exc).__name__)
            await asyncio.sleep(self.placement.worker_ttl_s / 3)

    async def _serve(self) -> None:
        queue = self.placement.key("q", self.id)
        while not self._stop.is_set():
            try:
                item = await self.redis.brpop([queue], timeout=1)
            except (RedisError, OSError) as exc:
                log.warning("queue read failed: %s", type(exc).__name__)
                await asyncio.sleep(1)
                continue
            if item is None:
                continue
            try:
                request = RpcRequest.from_json(item[1])
            except ValueError as exc:
                log.warning("malformed request dropped: %s", exc)
                continue
            task = asyncio.create_task(self._request(request))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _request(self, request: RpcRequest) -> None:
        room, message = request.room, request.message
        async with self._room_locks.setdefault(room, asyncio.Lock()):
            try:
                if message.get("type") == CLOSE_ROOM:
                    await self.service.close_room(room)
                    reply = RpcReply(request.id, reply={"type": "closed"})
                else:
                    result = await self.service.handle(room, request.participant, message)
                    reply = RpcReply(request.id, reply=result)
            except SfuError as exc:
                reply = RpcReply(request.id, error=exc)
            except Exception:
                log.exception("room %s: %s failed", room, message.get("type"))
                internal = {"code": "internal", "message": "media server error"}
                reply = RpcReply(request.id, error=remote_error(internal))
        await self.redis.publish(self.placement.key("r", request.node), reply.to_json())

    async def _shutdown(self) -> None:
        await self.placement.retire(self.id)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.service.close()
        await self.emitter.aclose()
        await self.redis.aclose()


async def run_worker(url: str, prefix: str, config: SfuConfig) -> None:
    """Entry point of ``imr-live sfu``."""
    await SfuWorker(url, prefix, config).run()
