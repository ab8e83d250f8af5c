"""Signed heads and the anchor: what only the log key and a write-once file can catch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from imr_live.errors import Conflict
from imr_live.store.database import Database, open_database
from imr_live.store.log_anchor import ANCHOR_FILE
from imr_live.store.log_settings import LogSettings
from imr_live.store.session_log import SessionLog
from tests.conftest import truncate
from tests.store.tampering import KINDS

KEY = b"k" * 40

Opener = Callable[..., Any]


@pytest.fixture
async def open_db(database_url: str, tmp_path: Path) -> AsyncIterator[Opener]:
    """Opens the parametrized backend with given log settings; closes all at the end."""
    if database_url.startswith("postgresql"):
        await truncate(database_url, tmp_path)
    opened: list[Database] = []

    async def opener(settings: LogSettings) -> Database:
        db = await open_database(database_url, tmp_path, log_settings=settings)
        opened.append(db)
        return db

    yield opener
    for db in opened:
        await db.close()


def anchored(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / ANCHOR_FILE).read_text().splitlines()]


async def test_a_rolled_back_head_table_is_caught_by_the_anchor(
    open_db: Opener, tmp_path: Path
) -> None:
    """The attacker keeps an old, validly signed head and cuts the log back to match it."""
    db = await open_db(LogSettings(KEY, tmp_path / "anchor", 3600))
    log = SessionLog(db)
    for i in range(5):
        await log.append("s1", "p_a", "chat.sent", {"i": i})
    old_head = await db.fetch(
        "SELECT event_count, last_hash, mac FROM session_heads WHERE session_id = ?", "s1"
    )
    for i in range(5, 9):
        await log.append("s1", "p_a", "chat.sent", {"i": i})
    assert await db.export_anchor() == 1
    await db.execute("DELETE FROM session_log WHERE session_id = ? AND seq > 5", "s1")
    await db.execute(
        "UPDATE session_heads SET event_count = ?, last_hash = ?, mac = ? WHERE session_id = ?",
        *old_head[0].values(),
        "s1",
    )
    without_anchor = await open_db(LogSettings(KEY))
    assert (await SessionLog(without_anchor).verify("s1")).ok  # what the anchor is for
    result = await log.verify("s1")
    assert not result.ok and "rolled back" in result.problem


async def test_a_rewrite_below_the_anchored_head_is_caught(open_db: Opener, tmp_path: Path) -> None:
    """A re-chain from event 2 changes the hash the anchor holds for event 6."""
    db = await open_db(LogSettings(KEY, tmp_path / "anchor", 3600))
    log = SessionLog(db)
    for i in range(6):
        await log.append("s1", "p_a", "chat.sent", {"i": i})
    await db.export_anchor()
    await KINDS["re-chain"](db, "s1", 2, 6)
    result = await log.verify("s1")
    assert (result.ok, result.first_bad_seq) == (False, 6)
    assert "anchor" in result.problem


async def test_deleting_every_row_and_the_head_is_caught_by_the_anchor(
    open_db: Opener, tmp_path: Path
) -> None:
    db = await open_db(LogSettings(KEY, tmp_path / "anchor", 3600))
    log = SessionLog(db)
    await log.append("s1", "p_a", "chat.sent", {"i": 0})
    await db.export_anchor()
    await db.execute("DELETE FROM session_log WHERE session_id = ?", "s1")
    await db.execute("DELETE FROM session_heads WHERE session_id = ?", "s1")
    result = await log.verify("s1")
    assert result.known and not result.ok and "missing" in result.problem
    assert not (await log.verify_all())["s1"].ok


async def test_the_anchor_is_written_on_a_timer_and_at_close(
    open_db: Opener, tmp_path: Path
) -> None:
    folder = tmp_path / "anchor"
    db = await open_db(LogSettings(KEY, folder, 0.05))
    log = SessionLog(db)
    await log.append("s1", "p_a", "chat.sent", {"i": 0})
    for _ in range(100):
        if (folder / ANCHOR_FILE).exists():
            break
        await asyncio.sleep(0.02)
    assert [(a["session_id"], a["count"]) for a in anchored(folder)] == [("s1", 1)]
    db2 = await open_db(LogSettings(KEY, folder, 3600))
    await SessionLog(db2).append("s1", "p_a", "chat.sent", {"i": 1})
    await db2.close()
    assert [(a["session_id"], a["count"]) for a in anchored(folder)][-1] == ("s1", 2)


async def test_a_forged_anchor_line_vouches_for_nothing(open_db: Opener, tmp_path: Path) -> None:
    folder = tmp_path / "anchor"
    db = await open_db(LogSettings(KEY, folder, 3600))
    log = SessionLog(db)
    await log.append("s1", "p_a", "chat.sent", {"i": 0})
    await db.export_anchor()
    with (folder / ANCHOR_FILE).open("a") as f:
        f.write(json.dumps({"session_id": "s1", "count": 99, "last_hash": "0" * 64, "mac": "x"}))
        f.write("\nnot json\n")
    assert (await log.verify("s1")).ok


async def test_a_head_signed_with_another_key_stops_appends_and_fails_verify(
    open_db: Opener,
) -> None:
    first = await open_db(LogSettings(KEY))
    await SessionLog(first).append("s1", "p_a", "chat.sent", {"i": 0})
    other = SessionLog(await open_db(LogSettings(b"o" * 40)))
    result = await other.verify("s1")
    assert not result.ok and "signature" in result.problem
    with pytest.raises(Conflict) as err:
        await other.append("s1", "p_a", "chat.sent", {"i": 1})
    assert err.value.code == "log_tampered"
    assert [e.seq for e in await other.read("s1")] == [1]


async def test_an_append_after_a_forged_row_is_refused_not_forked(open_db: Opener) -> None:
    db = await open_db(LogSettings(KEY))
    log = SessionLog(db)
    for i in range(3):
        await log.append("s1", "p_a", "chat.sent", {"i": i})
    await KINDS["forged append"](db, "s1", 1, 3)
    with pytest.raises(Conflict):
        await log.append("s1", "p_a", "chat.sent", {"i": 9})
    assert [e.data.get("text") for e in await log.read("s1")][-1] == "made up"


def test_an_anchor_sees_heads_another_node_appended_since_it_last_read(tmp_path: Path) -> None:
    from imr_live.store.log_anchor import LogAnchor
    from imr_live.store.log_chain import sign_head

    ours, theirs = LogAnchor(tmp_path, KEY), LogAnchor(tmp_path, KEY)
    ours.export([sign_head(KEY, "s1", 3, "a" * 64)])
    assert ours.latest()["s1"].count == 3
    theirs.export([sign_head(KEY, "s1", 5, "b" * 64), sign_head(KEY, "s2", 1, "c" * 64)])
    with (tmp_path / ANCHOR_FILE).open("a") as f:
        f.write('{"session_id": "s2", "count": 9')  # a line still being written
    latest = ours.latest()
    assert (latest["s1"].count, latest["s1"].last_hash, latest["s2"].count) == (5, "b" * 64, 1)
