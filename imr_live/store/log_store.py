"""Session log rows behind one interface, with a writer per database engine.

Both writers do the same thing in one transaction: read the session's signed
head, check its MAC, insert the next event and store the new signed head. They
differ only in how they serialize writers: SQLite runs every write on its one
thread inside ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-scoped
advisory lock on the session, so several web nodes never fork a chain.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import asyncpg

from imr_live.errors import Conflict
from imr_live.store.log_chain import (
    CHAIN_COLUMNS,
    GENESIS,
    LOG_COLUMNS,
    LogEvent,
    SignedHead,
    chain_hash,
    sign_head,
)
from imr_live.store.placeholders import to_dollar_params
from imr_live.store.sql import Statements

Appended = tuple[LogEvent, SignedHead]
"""An appended event and the session's new signed head."""

log = logging.getLogger(__name__)

HEAD_COLUMNS = "session_id, event_count, last_hash, mac"
"""Every column of ``session_heads``, in SignedHead's field order."""
SCAN_BATCH = 20_000
"""Rows per query while verifying: big enough to amortize a round trip, small in memory."""

_SELECT_HEAD = f"SELECT {HEAD_COLUMNS} FROM session_heads WHERE session_id = ?"
_INSERT_EVENT = f"INSERT INTO session_log ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
_UPSERT_HEAD = (
    f"INSERT INTO session_heads ({HEAD_COLUMNS}) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (session_id) DO UPDATE SET event_count = excluded.event_count,"
    " last_hash = excluded.last_hash, mac = excluded.mac"
)
_FORGED = "this session's signed log head does not match its key; run `imr-live log verify`"


def next_event(
    key: bytes, head_row: Sequence[Any] | None, event: tuple[str, int, str, str, str]
) -> tuple[LogEvent, SignedHead, tuple[Any, ...]]:
    """The event after ``head_row``, its new signed head and its row values.

    The next seq comes from the signed head, not the table's last row: rows cut
    off the end of the table leave a gap the verifier reports, instead of being
    sealed over by the next append.
    """
    session_id, at, actor, kind, data = event
    if head_row is None:
        seq, prev = 1, GENESIS
    else:
        head = SignedHead(head_row[0], int(head_row[1]), head_row[2], head_row[3])
        if not head.is_signed_by(key):
            log.error("session log %s: signed head fails its check; append refused", session_id)
            raise Conflict(_FORGED, code="log_tampered")
        seq, prev = head.count + 1, head.last_hash
    digest = chain_hash(session_id, seq, at, actor, kind, data, prev)
    values = (session_id, seq, at, actor, kind, data, prev, digest)
    logged = LogEvent(session_id, seq, at, actor, kind, json.loads(data), prev, digest)
    return logged, sign_head(key, session_id, seq, digest), values


class LogStore(ABC):
    """Reads and writes ``session_log`` and ``session_heads`` rows of one database."""

    def __init__(self, db: Statements) -> None:
        self.db = db

    @abstractmethod
    async def append(self, key: bytes, event: tuple[str, int, str, str, str]) -> Appended:
        """Write ``(session_id, at, actor, kind, data)`` as the session's next event."""

    async def head(self, session_id: str) -> SignedHead | None:
        """The session's stored head, or None."""
        rows = await self.db.fetch_values(_SELECT_HEAD, session_id)
        return SignedHead(rows[0][0], int(rows[0][1]), rows[0][2], rows[0][3]) if rows else None

    async def all_heads(self) -> list[SignedHead]:
        """Every stored head."""
        rows = await self.db.fetch_values(f"SELECT {HEAD_COLUMNS} FROM session_heads")
        return [SignedHead(r[0], int(r[1]), r[2], r[3]) for r in rows]

    async def store_head(self, head: SignedHead) -> None:
        """Store ``head`` unless the session already has one (used by migrations)."""
        await self.db.execute(
            f"INSERT INTO session_heads ({HEAD_COLUMNS}) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (session_id) DO NOTHING",
            head.session_id,
            head.count,
            head.last_hash,
            head.mac,
        )

    async def scan(
        self, session_id: str, batch: int = SCAN_BATCH
    ) -> AsyncIterator[list[Sequence[Any]]]:
        """A session's rows as ``CHAIN_COLUMNS`` tuples in seq order, ``batch`` at a time.

        The next batch is read while the caller checks this one, so the database's
        time and the hashing overlap.
        """
        sql = (
            f"SELECT {CHAIN_COLUMNS} FROM session_log WHERE session_id = ? AND seq > ?"
            " ORDER BY seq LIMIT ?"
        )
        pending = asyncio.ensure_future(self.db.fetch_values(sql, session_id, 0, batch))
        try:
            while True:
                rows = await pending
                if len(rows) == batch:
                    after = int(rows[-1][0])
                    pending = asyncio.ensure_future(
                        self.db.fetch_values(sql, session_id, after, batch)
                    )
                if rows:
                    yield rows
                if len(rows) < batch:
                    return
        finally:
            if not pending.done():
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await pending


class SqliteLogStore(LogStore):
    """The SQLite writer: the database thread, ``BEGIN IMMEDIATE``."""

    def __init__(
        self,
        db: Statements,
        run: Callable[[Callable[[sqlite3.Connection], Appended]], Awaitable[Appended]],
    ) -> None:
        super().__init__(db)
        self._run = run

    async def append(self, key: bytes, event: tuple[str, int, str, str, str]) -> Appended:
        return await self._run(lambda conn: _append_sqlite(conn, key, event))


def _append_sqlite(
    conn: sqlite3.Connection, key: bytes, event: tuple[str, int, str, str, str]
) -> Appended:
    conn.execute("BEGIN IMMEDIATE")
    try:
        head_row = conn.execute(_SELECT_HEAD, (event[0],)).fetchone()
        logged, head, values = next_event(key, head_row, event)
        conn.execute(_INSERT_EVENT, values)
        conn.execute(_UPSERT_HEAD, (head.session_id, head.count, head.last_hash, head.mac))
        conn.execute("COMMIT")
    except sqlite3.IntegrityError as exc:
        conn.execute("ROLLBACK")
        log.error("session log %s: a row beyond the signed head exists; append refused", event[0])
        raise Conflict(_FORGED, code="log_tampered") from exc
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return logged, head


class PostgresLogStore(LogStore):
    """The PostgreSQL writer: a transaction holding the session's advisory lock."""

    def __init__(
        self,
        db: Statements,
        with_connection: Callable[
            [Callable[[asyncpg.Connection], Awaitable[Appended]]], Awaitable[Appended]
        ],
    ) -> None:
        super().__init__(db)
        self._with_connection = with_connection

    async def append(self, key: bytes, event: tuple[str, int, str, str, str]) -> Appended:
        return await self._with_connection(lambda conn: _append_postgres(conn, key, event))


async def _append_postgres(
    conn: asyncpg.Connection, key: bytes, event: tuple[str, int, str, str, str]
) -> Appended:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", event[0])
        head_row = await conn.fetchrow(to_dollar_params(_SELECT_HEAD), event[0])
        logged, head, values = next_event(key, head_row, event)
        try:
            await conn.execute(to_dollar_params(_INSERT_EVENT), *values)
        except asyncpg.UniqueViolationError as exc:
            log.error(
                "session log %s: a row beyond the signed head exists; append refused", event[0]
            )
            raise Conflict(_FORGED, code="log_tampered") from exc
        await conn.execute(
            to_dollar_params(_UPSERT_HEAD), head.session_id, head.count, head.last_hash, head.mac
        )
    return logged, head
