"""python-socketio's Redis manager, made to close the Redis clients it opens.

``socketio.AsyncRedisManager`` opens a new client (and pub/sub connection) each
time it reconnects and never closes the old one, nor its last one when the
server stops. Each leaked connection stays open on the Redis server until the
garbage collector finds it, and then warns that its event loop is gone. This
subclass closes the replaced client at once and everything on ``aclose()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import socketio


class ClosingRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """``AsyncRedisManager`` whose clients are closed when replaced and on ``aclose``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._closing: set[asyncio.Task[None]] = set()
        self._closed = False

    def _redis_connect(self) -> None:
        if self._closed:
            raise RuntimeError("socket.io redis manager is closed")
        replaced = (getattr(self, "pubsub", None), self.redis)
        super()._redis_connect()
        for resource in replaced:
            if resource is not None:
                task = asyncio.ensure_future(_close_quietly(resource))
                self._closing.add(task)
                task.add_done_callback(self._closing.discard)

    async def aclose(self) -> None:
        """Stop listening and close the Redis connections (idempotent)."""
        self._closed = True
        listener = getattr(self, "thread", None)
        if isinstance(listener, asyncio.Future) and not listener.done():
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        for resource in (getattr(self, "pubsub", None), self.redis):
            if resource is not None:
                await _close_quietly(resource)
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)


async def _close_quietly(resource: Any) -> None:
    """Close a redis client or pub/sub; a dead server makes no difference to closing."""
    with contextlib.suppress(Exception):
        await resource.aclose()
