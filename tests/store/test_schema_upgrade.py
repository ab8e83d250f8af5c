"""A database made by main at 532b0be upgrades on start, keeping every event verifiable."""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from imr_live.errors import Unavailable
from imr_live.store.database import Database, open_database
from imr_live.store.schema import LATEST
from imr_live.store.session_log import SessionLog
from tests.conftest import PG_ADMIN_URL

FIXTURES = Path(__file__).parent / "fixtures"
MAIN_SCHEMA = (FIXTURES / "main_532b0be_schema.sql").read_text()
"""The exact DDL main ran at 532b0be (copied from its imr_live/store/database.py)."""
MAIN_ROWS = [
    json.loads(line)
    for line in (FIXTURES / "main_532b0be_session_log.jsonl").read_text().splitlines()
]
"""Events appended by main's own SessionLog at 532b0be (three sessions, 81 events)."""
COLUMNS = ("session_id", "seq", "at", "actor", "kind", "data", "prev_hash", "hash")
INSERT = f"INSERT INTO session_log ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"


def make_main_sqlite(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript(MAIN_SCHEMA)
        conn.executemany(INSERT, [tuple(r[c] for c in COLUMNS) for r in MAIN_ROWS])
    return f"sqlite:///{path}"


async def make_main_postgres(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(MAIN_SCHEMA)
        await conn.executemany(
            INSERT.replace("?", "${}").format(*range(1, 9)),
            [tuple(r[c] for c in COLUMNS) for r in MAIN_ROWS],
        )
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
async def main_database(
    request: pytest.FixtureRequest, tmp_path: Path, pg_url: str
) -> AsyncIterator[str]:
    """The URL of a database exactly as main at 532b0be left it, on each backend."""
    if request.param == "sqlite":
        yield make_main_sqlite(tmp_path / "main.sqlite3")
        return
    name = f"imr_upgrade_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(PG_ADMIN_URL)
    await admin.execute(f"CREATE DATABASE {name}")
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        await make_main_postgres(url)
        yield url
    finally:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await admin.close()


async def versions(db: Database) -> list[int]:
    rows = await db.fetch("SELECT version FROM schema_version ORDER BY version")
    return [int(r["version"]) for r in rows]


async def test_main_database_upgrades_keeping_every_event_and_verifies(
    main_database: str, tmp_path: Path
) -> None:
    db = await open_database(main_database, tmp_path)
    try:
        assert await versions(db) == list(range(1, LATEST + 1))
        log = SessionLog(db)
        stored = [e.as_dict() for sid in await log.sessions() for e in await log.read(sid)]
        assert stored == [{**r, "data": json.loads(r["data"])} for r in MAIN_ROWS]
        results = await log.verify_all()
        assert {sid: (r.ok, r.count) for sid, r in results.items()} == {
            "s_legacy_a": (True, 20),
            "s_legacy_b": (True, 27),
            "s_legacy_c": (True, 34),
        }
        nxt = await log.append("s_legacy_b", "p_1", "chat.sent", {"text": "after the upgrade"})
        assert (nxt.seq, nxt.prev_hash) == (28, MAIN_ROWS[20 + 26]["hash"])
        assert (await log.verify("s_legacy_b")).ok
    finally:
        await db.close()


async def test_upgrade_runs_once_and_a_restart_changes_nothing(
    main_database: str, tmp_path: Path
) -> None:
    for _ in range(2):
        db = await open_database(main_database, tmp_path)
        try:
            assert await versions(db) == list(range(1, LATEST + 1))
            assert all(r.ok for r in (await SessionLog(db).verify_all()).values())
        finally:
            await db.close()


async def test_a_chain_broken_before_the_upgrade_is_not_sealed_by_it(
    main_database: str, tmp_path: Path
) -> None:
    if main_database.startswith("sqlite"):
        with sqlite3.connect(main_database.removeprefix("sqlite:///")) as conn:
            conn.execute(
                "UPDATE session_log SET actor = 'p_x' WHERE session_id = 's_legacy_a' AND seq = 5"
            )
    else:
        conn2: Any = await asyncpg.connect(main_database)
        await conn2.execute(
            "UPDATE session_log SET actor = 'p_x' WHERE session_id = 's_legacy_a' AND seq = 5"
        )
        await conn2.close()
    db = await open_database(main_database, tmp_path)
    try:
        results = await SessionLog(db).verify_all()
        assert (results["s_legacy_a"].ok, results["s_legacy_a"].first_bad_seq) == (False, 5)
        assert results["s_legacy_b"].ok and results["s_legacy_c"].ok
    finally:
        await db.close()


async def test_a_new_database_starts_at_the_latest_version(db: Database) -> None:
    assert await versions(db) == list(range(1, LATEST + 1))


async def test_a_database_from_a_newer_version_is_refused_unchanged(
    database_url: str, tmp_path: Path
) -> None:
    db = await open_database(database_url, tmp_path)
    try:
        await db.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)", LATEST + 1, 0
        )
    finally:
        await db.close()
    try:
        with pytest.raises(Unavailable, match="newer"):
            await open_database(database_url, tmp_path)
    finally:
        await forget_version(database_url, LATEST + 1)


async def forget_version(database_url: str, version: int) -> None:
    """Remove a schema_version row behind the store's back (the PG database is shared)."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as conn:
            conn.execute("DELETE FROM schema_version WHERE version = ?", (version,))
        return
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM schema_version WHERE version = $1", version)
    finally:
        await conn.close()
