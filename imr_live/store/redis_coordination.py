"""Coordination of web nodes through Redis: shared presence and per-session locks.

Keys (all under the configured prefix):
- ``node:<node id>``: exists while the node lives (TTL refreshed by its heartbeat).
- ``conns:<session id>``: hash ``<participant id>|<connection id>`` -> node id.
- ``lock:<session id>``: redis-py's lock serializing one session's commands.
- ``throttle:<key>``: a throttle's count shared by every node (connects per
  address and minute, failed sign-ins per name and address), expiring with its window.

A connection whose node's key has expired counts as gone; ``sweep`` removes it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Iterator

from redis.exceptions import LockError, RedisError

from imr_live.errors import Unavailable
from imr_live.store import redis_client
from imr_live.store.coordination import Lost

log = logging.getLogger("imr_live.redis")
HEARTBEAT_S = 3.0
NODE_TTL_S = 10
LOCK_TIMEOUT_S = 15


@contextlib.contextmanager
def _unavailable_on_error() -> Iterator[None]:
    """Redis trouble becomes a clear, retryable error for the sender."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise Unavailable("live state is unavailable; try again in a moment") from exc


class RedisCoordination:
    """Presence and session locks shared by every web node."""

    shared = True

    def __init__(self, url: str, prefix: str = "imr-live:") -> None:
        self.redis = redis_client.connect(url, socket_timeout=5)
        self.prefix = prefix
        self.node_id = f"n{secrets.token_hex(4)}"
        self._task: asyncio.Task[None] | None = None
        self._mine: set[tuple[str, str]] = set()
        """(session id, "participant|connection") of this node, re-asserted on every beat."""
        self.on_lost: Lost | None = None
        """Called with (session id, participant id, closed at or None) when a participant may have no connection left."""
        self._later: dict[tuple[str, str], int] = {}
        """(session id, "participant|connection") closed while Redis or the log was down, not yet reported."""

    def _key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    async def start(self) -> None:
        """Announce this node and start its heartbeat and sweep."""
        await self._beat()
        self._task = asyncio.create_task(self._heartbeat(), name="redis-heartbeat")

    async def _beat(self) -> None:
        # Re-asserting our own connections rebuilds presence after a Redis restart.
        await self.redis.set(self._key("node", self.node_id), "1", ex=NODE_TTL_S)
        for session_id, field in list(self._mine):
            await self.redis.hset(self._key("conns", session_id), field, self.node_id)

    async def _heartbeat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._beat()
                await self._report_closed()
                await self.sweep()
            except (RedisError, OSError) as exc:
                log.warning("heartbeat failed: %s", type(exc).__name__)

    @contextlib.asynccontextmanager
    async def session_lock(self, session_id: str) -> AsyncIterator[None]:
        """A Redis lock per session (released even if the command fails)."""
        lock = self.redis.lock(
            self._key("lock", session_id), timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_TIMEOUT_S
        )
        try:
            acquired = await lock.acquire()
        except (RedisError, OSError) as exc:
            log.warning("session lock failed: %s", type(exc).__name__)
            raise Unavailable("live state is unavailable; try again in a moment") from exc
        if not acquired:
            raise Unavailable("the session is busy; try again in a moment")
        try:
            yield
        finally:
            with contextlib.suppress(LockError, RedisError, OSError):
                await lock.release()

    async def ping(self) -> None:
        """Raise Unavailable unless Redis answers within 2 s."""
        try:
            await asyncio.wait_for(self.redis.ping(), 2)
        except (RedisError, OSError, TimeoutError) as exc:
            raise Unavailable("redis unavailable") from exc

    def report_later(self, session_id: str, participant_id: str, conn_id: str) -> None:
        field = f"{participant_id}|{conn_id}"
        self._mine.discard((session_id, field))  # never re-asserted by the heartbeat
        self._later[(session_id, field)] = time.time_ns() // 1000  # when it closed

    async def _report_closed(self) -> None:
        """Remove connections whose close could not be recorded, then report their drops."""
        for (session_id, field), closed_at in sorted(self._later.items()):
            await self.redis.hdel(self._key("conns", session_id), field)
            if self.on_lost is not None:
                try:
                    await self.on_lost(session_id, field.split("|", 1)[0], closed_at)
                except Unavailable:
                    continue  # the log is still down: next beat
            del self._later[(session_id, field)]

    async def add_connection(self, session_id: str, participant_id: str, conn_id: str) -> None:
        field = f"{participant_id}|{conn_id}"
        self._mine.add((session_id, field))
        with _unavailable_on_error():
            await self.redis.hset(self._key("conns", session_id), field, self.node_id)

    async def remove_connection(self, session_id: str, participant_id: str, conn_id: str) -> int:
        self._mine.discard((session_id, f"{participant_id}|{conn_id}"))
        with _unavailable_on_error():
            await self.redis.hdel(self._key("conns", session_id), f"{participant_id}|{conn_id}")
        return len(await self.connections(session_id, participant_id))

    async def _live_entries(self, session_id: str) -> list[tuple[str, str]]:
        with _unavailable_on_error():
            return await self._read_live_entries(session_id)

    async def _read_live_entries(self, session_id: str) -> list[tuple[str, str]]:
        raw = await self.redis.hgetall(self._key("conns", session_id))
        entries = [(str(k), str(v)) for k, v in raw.items()]
        nodes = sorted({node for _, node in entries})
        alive = await self.redis.mget([self._key("node", n) for n in nodes]) if nodes else []
        live_nodes = {n for n, a in zip(nodes, alive, strict=True) if a is not None}
        return [(k, n) for k, n in entries if n in live_nodes]

    async def connections(self, session_id: str, participant_id: str) -> list[str]:
        entries = await self._live_entries(session_id)
        return sorted(
            k.split("|", 1)[1] for k, _ in entries if k.split("|", 1)[0] == participant_id
        )

    async def connected(self, session_id: str) -> list[str]:
        return sorted({k.split("|", 1)[0] for k, _ in await self._live_entries(session_id)})

    async def sweep(self) -> None:
        """Remove connections of dead nodes; report participants left with none."""
        async for key in self.redis.scan_iter(match=self._key("conns", "*")):
            session_id = str(key)[len(self._key("conns", "")) :]
            raw = await self.redis.hgetall(key)
            live = {k for k, _ in await self._live_entries(session_id)}
            dead = [str(k) for k in raw if str(k) not in live]
            if not dead:
                continue
            await self.redis.hdel(key, *dead)
            gone = {k.split("|", 1)[0] for k in dead} - {k.split("|", 1)[0] for k in live}
            for participant_id in sorted(gone):
                if self.on_lost is not None:
                    await self.on_lost(session_id, participant_id, None)

    async def hit(self, key: str, window_s: int) -> int:
        """Count one more under throttle ``key``; the count expires ``window_s`` after its first hit."""
        name = self._key("throttle", key)
        with _unavailable_on_error():
            async with self.redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window_s, nx=True)
                count, _ = await pipe.execute()
        return int(count)

    async def peek(self, keys: list[str]) -> list[int]:
        """The current counts of throttle ``keys`` (0 for none)."""
        with _unavailable_on_error():
            found = await self.redis.mget([self._key("throttle", k) for k in keys])
        return [int(v) if v is not None else 0 for v in found]

    async def forget(self, key: str) -> None:
        """Drop throttle ``key``'s count."""
        with _unavailable_on_error():
            await self.redis.delete(self._key("throttle", key))

    async def close(self) -> None:
        """Stop the heartbeat, drop this node's key and close the client."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(RedisError, OSError):
            await self.redis.delete(self._key("node", self.node_id))
        await self.redis.aclose()
