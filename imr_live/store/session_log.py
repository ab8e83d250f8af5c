"""The append-only, hash-chained session log.

Each event's hash covers the previous event's hash, so an edited, removed or
reordered row breaks the chain at that point. One writer per session assigns
``seq``: SQLite serializes every write on its single thread inside
``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-scoped advisory lock on the
session, so several web nodes can append to one session without forking it.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg

from imr_live.errors import Conflict, InvalidInput
from imr_live.store.database import Database, PostgresDatabase, SqliteDatabase

GENESIS = "0" * 64
MAX_DATA_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One row of the session log."""

    session_id: str
    """The live session this event belongs to."""
    seq: int
    """Position in the session's chain, from 1, without gaps."""
    at: int
    """Microseconds since the Unix epoch, as the writer's clock read it."""
    actor: str
    """Participant id of whoever caused it (``system`` for the server)."""
    kind: str
    """What happened, e.g. ``slide.shown`` (see docs/events.md)."""
    data: dict[str, Any]
    """The event's payload (JSON object)."""
    prev_hash: str
    """Hash of the event before (``GENESIS`` for seq 1)."""
    hash: str
    """SHA-256 over this event's fields and ``prev_hash``."""

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready dict (what exports and the wire carry)."""
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


def canonical(data: dict[str, Any]) -> str:
    """Stable JSON text of ``data`` (sorted keys, no spaces): what is stored and hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(
    session_id: str, seq: int, at: int, actor: str, kind: str, data: str, prev: str
) -> str:
    """The hash of one event given its stored fields and the previous hash."""
    text = "\x1f".join([session_id, str(seq), str(at), actor, kind, data, prev])
    return hashlib.sha256(text.encode()).hexdigest()


def _row_to_event(row: dict[str, Any]) -> LogEvent:
    return LogEvent(
        session_id=row["session_id"],
        seq=int(row["seq"]),
        at=int(row["at"]),
        actor=row["actor"],
        kind=row["kind"],
        data=json.loads(row["data"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


@dataclass(frozen=True, slots=True)
class VerifyResult:
    """What ``SessionLog.verify`` found."""

    ok: bool
    """True when every event is present and chained."""
    count: int
    """Events checked."""
    first_bad_seq: int | None = None
    """The first seq that is edited, missing or out of chain."""
    problem: str = ""
    """Plain words on what is wrong at ``first_bad_seq``."""


class SessionLog:
    """Append, read and verify each session's chain of events."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def append(
        self, session_id: str, actor: str, kind: str, data: dict[str, Any]
    ) -> LogEvent:
        """Write one event durably and return it with its seq and hash."""
        text = canonical(data)
        if len(text.encode()) > MAX_DATA_BYTES:
            raise InvalidInput("event data is too large for the log", code="too_large")
        at = time.time_ns() // 1000
        if isinstance(self.db, SqliteDatabase):
            return await self.db.run(lambda c: _append_sqlite(c, session_id, at, actor, kind, text))
        if isinstance(self.db, PostgresDatabase):
            return await self.db.with_connection(
                lambda c: _append_postgres(c, session_id, at, actor, kind, text)
            )
        raise TypeError(f"no log writer for {type(self.db).__name__}")

    async def read(self, session_id: str, after_seq: int = 0) -> list[LogEvent]:
        """All events of a session with seq > ``after_seq``, in order."""
        rows = await self.db.fetch(
            "SELECT * FROM session_log WHERE session_id = ? AND seq > ? ORDER BY seq",
            session_id,
            after_seq,
        )
        return [_row_to_event(r) for r in rows]

    async def read_many(self, session_ids: Sequence[str]) -> dict[str, list[LogEvent]]:
        """Every event of each session, in seq order, in one query per 500 sessions."""
        out: dict[str, list[LogEvent]] = {sid: [] for sid in session_ids}
        rows = await self.db.fetch_in(
            "SELECT * FROM session_log WHERE session_id IN ({marks}) ORDER BY session_id, seq",
            list(out),
        )
        for row in rows:
            out[row["session_id"]].append(_row_to_event(row))
        return out

    async def heads(self, session_ids: Sequence[str]) -> dict[str, tuple[int, str]]:
        """Session id -> (seq, hash) of its last event, for sessions that have one."""
        rows = await self.db.fetch_in(
            "SELECT l.session_id, l.seq, l.hash FROM (SELECT session_id, MAX(seq) AS seq"
            " FROM session_log WHERE session_id IN ({marks}) GROUP BY session_id) m"
            " JOIN session_log l ON l.session_id = m.session_id AND l.seq = m.seq",
            list(dict.fromkeys(session_ids)),
        )
        return {r["session_id"]: (int(r["seq"]), r["hash"]) for r in rows}

    async def iterate(self, session_id: str, page: int = 1000) -> AsyncIterator[LogEvent]:
        """Stream a session's events in pages, for exports of long sessions."""
        after = 0
        while True:
            batch = await self.db.fetch(
                "SELECT * FROM session_log WHERE session_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                session_id,
                after,
                page,
            )
            for row in batch:
                yield _row_to_event(row)
            if len(batch) < page:
                return
            after = int(batch[-1]["seq"])

    async def verify(self, session_id: str) -> VerifyResult:
        """Recompute the chain; report the first edited, missing or unchained event."""
        prev, expected, count = GENESIS, 1, 0
        rows = await self.db.fetch(
            "SELECT * FROM session_log WHERE session_id = ? ORDER BY seq", session_id
        )
        for row in rows:
            problem = _check_row(row, expected, prev)
            if problem:
                return VerifyResult(False, count, expected, problem)
            prev, expected, count = row["hash"], expected + 1, count + 1
        return VerifyResult(True, count)

    async def sessions(self) -> list[str]:
        """Ids of every session that has at least one event."""
        rows = await self.db.fetch("SELECT DISTINCT session_id FROM session_log")
        return sorted(r["session_id"] for r in rows)


def _check_row(row: dict[str, Any], expected: int, prev: str) -> str:
    seq = int(row["seq"])
    if seq != expected:
        return f"event {expected} is missing (next stored is {seq})"
    if row["prev_hash"] != prev:
        return f"event {seq} does not chain to event {seq - 1}"
    recomputed = chain_hash(
        row["session_id"], seq, int(row["at"]), row["actor"], row["kind"], row["data"], prev
    )
    if recomputed != row["hash"]:
        return f"event {seq} was changed after it was written"
    return ""


def _append_sqlite(
    conn: sqlite3.Connection, session_id: str, at: int, actor: str, kind: str, data: str
) -> LogEvent:
    conn.execute("BEGIN IMMEDIATE")
    try:
        last = conn.execute(
            "SELECT seq, hash FROM session_log WHERE session_id = ? ORDER BY seq DESC LIMIT 1",
            (session_id,),
        ).fetchone()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        digest = chain_hash(session_id, seq, at, actor, kind, data, prev)
        conn.execute(
            "INSERT INTO session_log VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (session_id, seq, at, actor, kind, data, prev, digest),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return LogEvent(session_id, seq, at, actor, kind, json.loads(data), prev, digest)


async def _append_postgres(
    conn: asyncpg.Connection, session_id: str, at: int, actor: str, kind: str, data: str
) -> LogEvent:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))", session_id)
        last = await conn.fetchrow(
            "SELECT seq, hash FROM session_log WHERE session_id = $1 ORDER BY seq DESC LIMIT 1",
            session_id,
        )
        seq, prev = (int(last["seq"]) + 1, last["hash"]) if last else (1, GENESIS)
        digest = chain_hash(session_id, seq, at, actor, kind, data, prev)
        try:
            await conn.execute(
                "INSERT INTO session_log VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                session_id,
                seq,
                at,
                actor,
                kind,
                data,
                prev,
                digest,
            )
        except asyncpg.UniqueViolationError as exc:
            raise Conflict("another writer appended to this session at the same time") from exc
    return LogEvent(session_id, seq, at, actor, kind, json.loads(data), prev, digest)
