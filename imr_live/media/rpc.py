"""Web nodes reach SFU workers through Redis: requests on a list, replies on pub/sub.

Requests go to the worker that holds the room (``sfu:q:<worker>``, a list, so
nothing is lost while the worker is busy); replies come back on the asking
node's channel (``sfu:r:<node>``). Every call has a timeout. Both travel as
JSON of `RpcRequest` and `RpcReply`, checked when read; the SFU message
inside is checked on the web node (`sfu.messages.parse_request`) before it
is sent, and again by the worker's SfuService.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError

from imr_live.errors import Unavailable
from imr_live.media.placement import Move, Placement
from imr_live.store import redis_client
from sfu.errors import SfuError
from sfu.messages import parse_request

log = logging.getLogger("imr_live.media.rpc")
CLOSE_ROOM = "__close_room__"
OnMove = Callable[[Move], Awaitable[None]]


def _json_object(raw: str | bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{what} is not JSON") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object")
    return data


def _text(data: dict[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no '{key}'")
    return value


@dataclass(frozen=True)
class RpcRequest:
    """One call from a web node to the worker holding a room."""

    id: str
    """Matches the reply to the waiting call."""
    node: str
    """The asking web node (its reply channel)."""
    room: str
    participant: str
    message: dict[str, Any]
    """An SFU request in its wire form, or ``{"type": CLOSE_ROOM}``."""

    def to_json(self) -> str:
        """The request as it goes on the worker's queue."""
        return json.dumps(
            {
                "id": self.id,
                "node": self.node,
                "room": self.room,
                "participant": self.participant,
                "message": self.message,
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> RpcRequest:
        """Read a request off the queue; raises ValueError when it is not one."""
        data = _json_object(raw, "request")
        message = data.get("message")
        if not isinstance(message, dict):
            raise ValueError("request has no 'message' object")
        return cls(
            id=_text(data, "id", "request"),
            node=_text(data, "node", "request"),
            room=_text(data, "room", "request"),
            participant=_text(data, "participant", "request"),
            message=message,
        )


@dataclass(frozen=True)
class RpcReply:
    """A worker's answer to one RpcRequest: the SFU's reply, or its error."""

    id: str
    reply: dict[str, Any] | None = None
    """The SFU's reply in its wire form (None on error)."""
    error: SfuError | None = None

    def to_json(self) -> str:
        """The reply as it is published on the asking node's channel."""
        if self.error is not None:
            error = {"code": self.error.code, "message": self.error.message}
            return json.dumps({"ok": False, "error": error, "id": self.id})
        return json.dumps({"ok": True, "reply": self.reply, "id": self.id})

    @classmethod
    def from_json(cls, raw: str | bytes) -> RpcReply:
        """Read a reply off the channel; raises ValueError when it is not one."""
        data = _json_object(raw, "reply")
        rid = _text(data, "id", "reply")
        if data.get("ok") is True:
            reply = data.get("reply")
            if not isinstance(reply, dict):
                raise ValueError("reply has no 'reply' object")
            return cls(rid, reply=reply)
        error = data.get("error")
        if not isinstance(error, dict):
            raise ValueError("reply has neither a reply nor an error")
        return cls(rid, error=remote_error(error))


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
        self._pending: dict[str, asyncio.Future[RpcReply]] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Listen for replies and watch for dead workers."""
        pubsub = self.redis.pubsub()
        await pubsub.subscribe(self.placement.key("r", self.node))
        self._tasks = [
            asyncio.create_task(self._replies(pubsub), name="sfu-replies"),
            asyncio.create_task(self._watch(), name="sfu-failover"),
        ]

    async def handle(self, room: str, participant: str, message: object) -> dict[str, Any]:
        """Check one SFU message, send it to the room's worker and wait for its reply."""
        request = parse_request(message)
        return await self._send(room, participant, request.to_wire())

    async def _send(self, room: str, participant: str, message: dict[str, Any]) -> dict[str, Any]:
        try:
            worker = await self.placement.worker_for(room)
            return await self._call(worker, room, participant, message)
        except (RedisError, OSError) as exc:
            raise Unavailable("the media server cannot be reached; try again") from exc

    async def _call(
        self, worker: str, room: str, participant: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        rid = secrets.token_hex(8)
        future: asyncio.Future[RpcReply] = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        request = RpcRequest(rid, self.node, room, participant, message)
        try:
            await self.redis.lpush(self.placement.key("q", worker), request.to_json())
            reply = await asyncio.wait_for(future, self.timeout_s)
        except TimeoutError:
            raise Unavailable("the media server did not answer; try again") from None
        finally:
            self._pending.pop(rid, None)
        if reply.error is not None:
            raise reply.error
        return reply.reply or {}

    async def _replies(self, pubsub: Any) -> None:
        async for item in pubsub.listen():
            if item.get("type") != "message":
                continue
            try:
                reply = RpcReply.from_json(item["data"])
            except ValueError as exc:
                log.warning("malformed reply dropped: %s", exc)
                continue
            future = self._pending.get(reply.id)
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
            await self._send(room, "system", {"type": CLOSE_ROOM})
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
