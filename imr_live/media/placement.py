"""Which SFU worker holds which room, and which workers are alive (kept in Redis).

Keys under the prefix: ``sfu:w:<worker>`` (JSON load, TTL refreshed by the
worker's heartbeat), ``sfu:room:<room>`` (worker id; valid while that worker
lives), ``sfu:move:<room>`` (a short lock so one web node moves a room).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from imr_live.errors import Unavailable


@dataclass(frozen=True, slots=True)
class Move:
    """A room whose worker died and that was placed on another."""

    room: str
    old: str
    new: str


class Placement:
    """Room-to-worker assignments and the worker registry."""

    def __init__(self, redis: aioredis.Redis, prefix: str, worker_ttl_s: float = 10.0) -> None:
        self.redis = redis
        self.prefix = prefix
        self.worker_ttl_s = worker_ttl_s

    def key(self, *parts: str) -> str:
        """A Redis key under the prefix."""
        return self.prefix + "sfu:" + ":".join(parts)

    async def announce(self, worker: str, load: dict[str, Any]) -> None:
        """A worker says it is alive and how loaded it is."""
        await self.redis.set(
            self.key("w", worker), json.dumps(load), px=int(self.worker_ttl_s * 1000)
        )

    async def retire(self, worker: str) -> None:
        """A worker leaves cleanly."""
        await self.redis.delete(self.key("w", worker))

    async def workers(self) -> dict[str, dict[str, Any]]:
        """Live workers and their last reported load."""
        found: dict[str, dict[str, Any]] = {}
        async for key in self.redis.scan_iter(match=self.key("w", "*")):
            raw = await self.redis.get(key)
            if raw is not None:
                found[str(key).rsplit(":", 1)[1]] = json.loads(raw)
        return found

    async def worker_for(self, room: str) -> str:
        """The live worker holding ``room``, placing it on the least loaded one if needed."""
        current = await self.redis.get(self.key("room", room))
        live = await self.workers()
        if current is not None and str(current) in live:
            return str(current)
        chosen = self._least_loaded(live)
        if current is None:
            if await self.redis.set(self.key("room", room), chosen, nx=True):
                return chosen
            return await self.worker_for(room)  # another node placed it just now
        await self.redis.set(self.key("room", room), chosen)
        return chosen

    @staticmethod
    def _least_loaded(live: dict[str, dict[str, Any]]) -> str:
        if not live:
            raise Unavailable("no media server is running; try again in a moment")
        return min(live, key=lambda w: (live[w].get("rooms", 0), w))

    async def orphaned_rooms(self) -> list[tuple[str, str]]:
        """Rooms (room, dead worker) whose worker no longer lives."""
        live = await self.workers()
        orphans = []
        async for key in self.redis.scan_iter(match=self.key("room", "*")):
            worker = await self.redis.get(key)
            if worker is not None and str(worker) not in live:
                orphans.append((str(key).split("sfu:room:", 1)[1], str(worker)))
        return orphans

    async def move(self, room: str, dead: str) -> Move | None:
        """Re-place an orphaned room (one web node wins the move)."""
        if not await self.redis.set(self.key("move", room), "1", nx=True, ex=5):
            return None
        current = await self.redis.get(self.key("room", room))
        if current is None or str(current) != dead:
            return None
        new = self._least_loaded(await self.workers())
        await self.redis.set(self.key("room", room), new)
        return Move(room, dead, new)

    async def forget(self, room: str) -> None:
        """The room closed: drop its assignment."""
        await self.redis.delete(self.key("room", room))
