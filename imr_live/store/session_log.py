"""The append-only, hash-chained session log with a signed head per session.

Each event's hash covers the previous event's hash, so an edited, removed or
reordered row breaks the chain at that point. Each append also advances the
session's head (event count, last hash) signed with the log key, which lives in
configuration, not in the database: cutting the tail, appending, deleting every
row or re-chaining with recomputed hashes no longer matches the head, and a
rolled-back head table no longer matches the exported anchor. The engine's
``LogStore`` serializes writers so each session's chain has a total order.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from imr_live.errors import InvalidInput
from imr_live.store.database import Database
from imr_live.store.log_chain import GENESIS as GENESIS
from imr_live.store.log_chain import LOG_COLUMNS, ChainCheck, SignedHead
from imr_live.store.log_chain import LogEvent as LogEvent
from imr_live.store.log_chain import canonical as canonical
from imr_live.store.log_chain import chain_hash as chain_hash

MAX_DATA_BYTES = 64 * 1024


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
    """True when every event is present, chained and matches the signed head."""
    count: int
    """Events checked."""
    first_bad_seq: int | None = None
    """The first seq that is edited, missing or out of chain."""
    problem: str = ""
    """Plain words on what is wrong at ``first_bad_seq``."""
    known: bool = True
    """False when the log holds nothing at all for this session (no event, no head)."""


class SessionLog:
    """Append, read and verify each session's chain of events."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._store = db.log_store()

    async def append(
        self, session_id: str, actor: str, kind: str, data: dict[str, Any]
    ) -> LogEvent:
        """Write one event and its signed head durably; return the event with seq and hash."""
        text = canonical(data)
        if len(text.encode()) > MAX_DATA_BYTES:
            raise InvalidInput("event data is too large for the log", code="too_large")
        at = time.time_ns() // 1000
        event, _head = await self._store.append(
            self.db.log_settings.key, (session_id, at, actor, kind, text)
        )
        return event

    async def read(self, session_id: str, after_seq: int = 0) -> list[LogEvent]:
        """All events of a session with seq > ``after_seq``, in order."""
        rows = await self.db.fetch(
            f"SELECT {LOG_COLUMNS} FROM session_log WHERE session_id = ? AND seq > ? ORDER BY seq",
            session_id,
            after_seq,
        )
        return [_row_to_event(r) for r in rows]

    async def read_many(self, session_ids: Sequence[str]) -> dict[str, list[LogEvent]]:
        """Every event of each session, in seq order, in one query per 500 sessions."""
        out: dict[str, list[LogEvent]] = {sid: [] for sid in session_ids}
        rows = await self.db.fetch_in(
            f"SELECT {LOG_COLUMNS} FROM session_log WHERE session_id IN ({{marks}})"
            " ORDER BY session_id, seq",
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
                f"SELECT {LOG_COLUMNS} FROM session_log WHERE session_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
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
        """Check the chain, the signed head and the latest anchor; report the first break."""
        anchored = (await self._anchored()).get(session_id)
        return await self._verify(session_id, anchored)

    async def verify_all(self) -> dict[str, VerifyResult]:
        """Verify every session the log, the head table or the anchor knows of."""
        anchored = await self._anchored()
        ids = set(await self.sessions()) | set(anchored)
        ids |= {head.session_id for head in await self._store.all_heads()}
        return {sid: await self._verify(sid, anchored.get(sid)) for sid in sorted(ids)}

    async def sessions(self) -> list[str]:
        """Ids of every session that has at least one event."""
        rows = await self.db.fetch("SELECT DISTINCT session_id FROM session_log")
        return sorted(r["session_id"] for r in rows)

    async def _anchored(self) -> dict[str, SignedHead]:
        anchor = self.db.anchor
        return await asyncio.to_thread(anchor.latest) if anchor is not None else {}

    async def _verify(self, session_id: str, anchored: SignedHead | None) -> VerifyResult:
        anchor_point = (anchored.count, anchored.last_hash) if anchored else None
        check = ChainCheck(session_id, anchor_point)
        async for batch in self._store.scan(session_id):
            if not check.feed(batch):
                return VerifyResult(False, check.count, check.first_bad_seq, check.problem)
        head = await self._store.head(session_id)
        if head is None and check.count == 0 and anchored is None:
            return VerifyResult(True, 0, known=False)
        found = _head_problem(self.db.log_settings.key, check, head, anchored)
        if found:
            return VerifyResult(False, check.count, found[0], found[1])
        return VerifyResult(True, check.count)


def _head_problem(
    key: bytes, check: ChainCheck, head: SignedHead | None, anchored: SignedHead | None
) -> tuple[int, str] | None:
    """The first bad seq and what is wrong between an intact chain, its head and the anchor."""
    if head is None:
        return 1, "the session's signed head is missing: the log cannot be trusted"
    if not head.is_signed_by(key):
        return 1, "the session's signed head was altered (its signature fails)"
    if anchored is not None and anchored.count > head.count:
        return head.count + 1, (
            f"the signed head says {head.count} events but the anchor saw {anchored.count}:"
            " the log was rolled back"
        )
    if check.count < head.count:
        return check.count + 1, f"events {check.count + 1} to {head.count} were removed"
    if check.count > head.count:
        return head.count + 1, f"events after {head.count} were added without the log key"
    if check.last_hash != head.last_hash:
        return check.count, "the events were rewritten: the last hash differs from the signed head"
    return None
