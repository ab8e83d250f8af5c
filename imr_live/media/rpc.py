"""Web nodes reach SFU workers through Redis: requests on a list, replies on pub/sub.

Requests go to the worker that holds the room (``sfu:q:<worker>``, a list, so
nothing is lost while the worker is busy); replies come back on the asking
node's channel (``sfu:r:<node>``). Every call has a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from imr_live.errors import Unavailable
from imr_live.media.placement import Move, Placement
from imr_live.store import redis_client
from sfu.errors import SfuError

log = logging.getLogger("imr_live.media.rpc")
CLOSE_ROOM = "__close_room__"
OnMove = Callable[[Move], Awaitable[None]]


def remote_error(error: dict[str, Any]) -> SfuError:
    """An SfuError carrying the worker's code and message."""
    exc = SfuError(str(error.get("message", "media server error")))
    exc.code = str(error.get("code", "sfu_error"))
    return exc


class RemoteSfu:
    """The SfuService interface (handle, close_room, stats) over Redis."""

    def __init__(
        self,
        url: str,
        prefix: str,
        *,
        timeout_s: float = 15.0,
        worker_ttl_s: float = 10.0,
        check_s: float = 1.0,
    ) -> None:
        self.redis = redis_client.connect(url)
        self.placement = Placement(self.redis, prefix, worker_ttl_s)
        self.node = f"web-{secrets.token_hex(4)}"
        self.timeout_s = timeout_s
        self.check_s = check_s
        self.on_move: OnMove | None = None
        """Called after a dead worker's room was placed on another (tell its people)."""
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen for replies and watch for dead workers."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.placement.key("r", self.node))
        self._tasks = [
            asyncio.create_task(self._replies(pubsub), name="sfu-replies"),
            asyncio.create_task(self._watch(), name="sfu-failover"),
        ]

    async def handle(self, room: str, participant: str, message: dict[str, Any]) -> dict[str, Any]:
        """Send one message to the room's worker and wait for its reply."""
        try:
            worker = await self.placement.worker_for(room)
            return await self._call(worker, room, participant, message)
        except (RedisError, OSError) as exc:
            raise Unavailable("the media server cannot be reached; try again") from exc

    async def _call(
        self, worker: str, room: str, pid: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        rid = secrets.token_hex(8)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        request = {
            "id": rid,
            "node": self.node,
            "room": room,
            "participant": pid,
            "message": message,
        }
        try:
            await self.redis.lpush(self.placement.key("q", worker), json.dumps(request))
            reply = await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise Unavailable("the media server did not answer; try again") from None
        finally:
            self._pending.pop(rid, None)
        if not reply.get("ok"):
            raise remote_error(reply.get("error", {}))
        result: dict[str, Any] = reply["reply"]
        return result

    async def _replies(self, pubsub: Any) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message":
                continue
            reply = json.loads(item["data"])
            future = self._pending.get(reply.get("id", ""))
            if future is not None and not future.done():
                future.set_result(reply)

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.check_s)
            try:
                for room, dead in await self.placement.orphaned_rooms():
                    move = await self.placement.move(room, dead)
                    if move is not None:
                        log.warning("room %s moved from dead worker %s to %s", room, dead, move.new)
                        if self.on_move is not None:
                            await self.on_move(move)
            except (RedisError, OSError, Unavailable) as exc:
                log.warning("failover check failed: %s", exc)

    async def close_room(self, room: str) -> None:
        """Close a room on its worker (if it has one) and forget its placement."""
        with contextlib.suppress(Unavailable, SfuError):
            await self.handle(room, "system", {"type": CLOSE_ROOM})
        await self.placement.forget(room)

    def stats(self) -> dict[str, Any]:
        """Counts kept by this node (workers report theirs in Redis)."""
        return {"pending_calls": len(self._pending)}

    async def close(self) -> None:
        """Stop listening and close the Redis client."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.aclose()
