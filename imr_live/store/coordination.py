"""Who is connected where, and one writer per session: in memory, or shared by web nodes.

A single process keeps both in memory. Several web nodes share them through
Redis: connections are recorded per node with a heartbeat, so the connections
of a node that died expire, and a Redis lock serializes each session's
commands across nodes (the log's own per-session lock still keeps ``seq``
from forking if a Redis lock ever lapses).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Protocol

from imr_live.errors import Unavailable

log = logging.getLogger("imr_live.coordination")
RETRY_S = 3.0
Lost = Callable[[str, str, int | None], Awaitable[None]]
"""(session id, participant id, when the connection closed in µs since the epoch, if known)."""


class Coordination(Protocol):
    """Presence of connections and per-session serialization."""

    shared: bool
    """True when other nodes may change a session too (state must catch up from the log)."""

    def session_lock(self, session_id: str) -> contextlib.AbstractAsyncContextManager[None]:
        """Hold while validating, appending and applying one command of a session."""

    async def add_connection(self, session_id: str, participant_id: str, conn_id: str) -> None:
        """Record a connection of a participant."""

    async def remove_connection(self, session_id: str, participant_id: str, conn_id: str) -> int:
        """Forget a connection; return how many the participant still has."""

    async def connections(self, session_id: str, participant_id: str) -> list[str]:
        """Live connection ids of a participant (on every node)."""

    async def connected(self, session_id: str) -> list[str]:
        """Participants of a session with at least one live connection."""

    on_lost: Lost | None
    """Called with (session id, participant id, closed at or None) when a participant may have no connection left."""

    async def ping(self) -> None:
        """Raise Unavailable when the shared store does not answer (readiness)."""

    def report_later(self, session_id: str, participant_id: str, conn_id: str) -> None:
        """A close could not be recorded now (store or Redis down): forget it and report it later."""

    async def close(self) -> None:
        """Stop background work and release resources."""


class MemoryCoordination:
    """Everything in this process: the embedded default."""

    shared = False

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._conns: dict[str, dict[str, set[str]]] = {}
        self.on_lost: Lost | None = None
        self._retries: set[asyncio.Task[None]] = set()

    @contextlib.asynccontextmanager
    async def session_lock(self, session_id: str) -> AsyncIterator[None]:
        """An asyncio lock per session."""
        async with self._locks.setdefault(session_id, asyncio.Lock()):
            yield

    async def add_connection(self, session_id: str, participant_id: str, conn_id: str) -> None:
        self._conns.setdefault(session_id, {}).setdefault(participant_id, set()).add(conn_id)

    async def remove_connection(self, session_id: str, participant_id: str, conn_id: str) -> int:
        return self._forget(session_id, participant_id, conn_id)

    def _forget(self, session_id: str, participant_id: str, conn_id: str) -> int:
        people = self._conns.get(session_id, {})
        conns = people.get(participant_id, set())
        conns.discard(conn_id)
        if not conns:
            people.pop(participant_id, None)
        return len(conns)

    async def connections(self, session_id: str, participant_id: str) -> list[str]:
        return sorted(self._conns.get(session_id, {}).get(participant_id, ()))

    async def connected(self, session_id: str) -> list[str]:
        return sorted(self._conns.get(session_id, {}))

    def report_later(self, session_id: str, participant_id: str, conn_id: str) -> None:
        self._forget(session_id, participant_id, conn_id)
        closed_at = time.time_ns() // 1000
        task = asyncio.create_task(
            self._retry(session_id, participant_id, closed_at), name="report-lost"
        )
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _retry(self, session_id: str, participant_id: str, closed_at: int) -> None:
        while self.on_lost is not None:
            await asyncio.sleep(RETRY_S)
            try:
                await self.on_lost(session_id, participant_id, closed_at)
                return
            except Unavailable:
                log.warning("a drop in session %s is still not recorded; retrying", session_id)

    async def ping(self) -> None:
        """Memory always answers."""

    async def close(self) -> None:
        for task in list(self._retries):
            task.cancel()
        await asyncio.gather(*self._retries, return_exceptions=True)
        self._conns.clear()
