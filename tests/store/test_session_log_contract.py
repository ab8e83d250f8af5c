"""The session log contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from imr_live.errors import InvalidInput
from imr_live.store.session_log import GENESIS, SessionLog


async def test_events_come_back_in_order_with_a_chain(db: Any) -> None:
    log = SessionLog(db)
    first = await log.append("s1", "u_a", "slide.shown", {"index": 0, "name": "Zoë"})
    second = await log.append("s1", "u_a", "slide.shown", {"index": 1})
    await log.append("s2", "u_b", "chat.sent", {"text": "hi"})

    events = await log.read("s1")
    assert [e.seq for e in events] == [1, 2]
    assert events[0].prev_hash == GENESIS and events[1].prev_hash == first.hash
    assert events[0].data == {"index": 0, "name": "Zoë"}
    assert events[1] == second
    assert (await log.verify("s1")).ok and (await log.verify("s2")).count == 1


async def test_concurrent_appends_never_fork_the_chain(db: Any) -> None:
    log = SessionLog(db)
    await asyncio.gather(*(log.append("s1", f"p{i}", "hand.raised", {"i": i}) for i in range(40)))
    events = await log.read("s1")
    assert [e.seq for e in events] == list(range(1, 41))
    result = await log.verify("s1")
    assert result.ok and result.count == 40


async def test_an_edited_row_breaks_verification_at_that_event(db: Any) -> None:
    log = SessionLog(db)
    for i in range(5):
        await log.append("s1", "u_a", "slide.shown", {"index": i})
    await db.execute(
        "UPDATE session_log SET data = ? WHERE session_id = ? AND seq = ?",
        '{"index":99}',
        "s1",
        3,
    )
    result = await log.verify("s1")
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "changed" in result.problem


async def test_a_deleted_row_is_reported_missing(db: Any) -> None:
    log = SessionLog(db)
    for i in range(4):
        await log.append("s1", "u_a", "slide.shown", {"index": i})
    await db.execute("DELETE FROM session_log WHERE session_id = ? AND seq = ?", "s1", 2)
    result = await log.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 2)
    assert "missing" in result.problem


async def test_a_rehashed_edit_still_breaks_the_next_link(db: Any) -> None:
    """Someone who edits a row and recomputes its hash still breaks the chain after it."""
    from imr_live.store.session_log import chain_hash

    log = SessionLog(db)
    for i in range(3):
        await log.append("s1", "u_a", "slide.shown", {"index": i})
    row = (
        await db.fetch("SELECT at, prev_hash FROM session_log WHERE seq = 2 AND session_id = 's1'")
    )[0]
    forged = chain_hash(
        "s1", 2, int(row["at"]), "u_a", "slide.shown", '{"index":7}', row["prev_hash"]
    )
    await db.execute(
        "UPDATE session_log SET data = ?, hash = ? WHERE session_id = 's1' AND seq = 2",
        '{"index":7}',
        forged,
    )
    result = await log.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 3)


async def test_oversized_event_data_is_refused_and_nothing_is_written(db: Any) -> None:
    log = SessionLog(db)
    with pytest.raises(InvalidInput) as err:
        await log.append("s1", "u_a", "chat.sent", {"text": "x" * 70_000})
    assert err.value.code == "too_large"
    assert await log.read("s1") == []


async def test_iterate_pages_through_long_sessions(db: Any) -> None:
    log = SessionLog(db)
    for i in range(25):
        await log.append("s1", "u_a", "chat.sent", {"i": i})
    seen = [e.seq async for e in log.iterate("s1", page=10)]
    assert seen == list(range(1, 26))
