"""How long ``imr-live log verify`` takes on one long session (target: 10^6 events < 10 s).

Builds one session of ``--events`` events (default 10^6) with the real chain and
a head signed with a fresh key, written in bulk (appending one by one would time
the writer, not the verifier), then runs ``SessionLog.verify`` ``--repeat`` times
and prints the median. As a baseline in the same process it also times a bare
loop that only recomputes the SHA-256 chain over rows already in memory, so the
ratio shows what reading rows from the database costs on top of hashing.

    .venv/bin/python bench/log_verify.py [--events 1000000] [--repeat 3] [--postgres [ADMIN_URL]]

With ``--postgres`` (default admin URL postgresql://postgres@127.0.0.1:5432/postgres)
it creates a throwaway database and drops it afterwards; otherwise it uses a
SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from imr_live.store.database import Database, PostgresDatabase, SqliteDatabase, open_database
from imr_live.store.log_chain import GENESIS, LOG_COLUMNS, ChainCheck, chain_hash, sign_head
from imr_live.store.log_settings import LogSettings
from imr_live.store.session_log import SessionLog

SESSION = "s_bench"
KINDS = ("slide.shown", "chat.sent", "hand.raised", "participant.joined")


def make_rows(count: int) -> list[tuple[Any, ...]]:
    """``count`` chained rows that look like a long group session."""
    rows, prev, at = [], GENESIS, 1_790_000_000_000_000
    for seq in range(1, count + 1):
        data = f'{{"i":{seq},"text":"line {seq % 97} of the group"}}'
        actor, kind = f"p_{seq % 8}", KINDS[seq % 4]
        digest = chain_hash(SESSION, seq, at + seq, actor, kind, data, prev)
        rows.append((SESSION, seq, at + seq, actor, kind, data, prev, digest))
        prev = digest
    return rows


def _insert_in_one_transaction(conn: sqlite3.Connection, sql: str, rows: list[Any]) -> None:
    with conn:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)


async def load(db: Database, rows: list[tuple[Any, ...]]) -> None:
    """Write ``rows`` and the session's signed head in bulk."""
    if isinstance(db, SqliteDatabase):
        sql = f"INSERT INTO session_log ({LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        await db.run(lambda c: _insert_in_one_transaction(c, sql, rows))
    elif isinstance(db, PostgresDatabase):
        columns = [c.strip() for c in LOG_COLUMNS.split(",")]
        await db.with_connection(
            lambda c: c.copy_records_to_table("session_log", records=rows, columns=columns)
        )
    last = rows[-1]
    await db.log_store().store_head(sign_head(db.log_settings.key, SESSION, last[1], last[7]))


@asynccontextmanager
async def database(args: argparse.Namespace, settings: LogSettings) -> AsyncIterator[Database]:
    """A fresh SQLite file, or a throwaway PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        if not args.postgres:
            db = await open_database(None, Path(tmp), log_settings=settings)
            try:
                yield db
            finally:
                await db.close()
            return
        name = f"imr_bench_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(args.postgres)
        await admin.execute(f"CREATE DATABASE {name}")
        try:
            url = args.postgres.rsplit("/", 1)[0] + f"/{name}"
            db = await open_database(url, Path(tmp), log_settings=settings)
            try:
                yield db
            finally:
                await db.close()
        finally:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()


async def main(args: argparse.Namespace) -> None:
    """Build, verify, print the figures."""
    started = time.perf_counter()
    rows = make_rows(args.events)
    settings = LogSettings(secrets.token_bytes(32))
    async with database(args, settings) as db:
        await load(db, rows)
        print(f"built {args.events:,} events in {time.perf_counter() - started:.1f} s")
        log = SessionLog(db)
        times, cpu = [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result = await log.verify(SESSION)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert result.ok and result.count == args.events, result
        in_memory = [row[1:] for row in rows]
        hashing = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            assert ChainCheck(SESSION).feed(in_memory)
            hashing.append(time.perf_counter() - t0)
    median, base = statistics.median(times), statistics.median(hashing)
    backend = "postgres" if args.postgres else "sqlite"
    print(
        f"verify {args.events:,} events ({backend}): median {median:.2f} s wall,"
        f" {statistics.median(cpu):.2f} s CPU of this process, over {args.repeat} runs"
        f" ({args.events / median / 1e6:.2f} M events/s); target < 10 s for 10^6"
    )
    print(
        f"baseline, hashing rows already in memory: {base:.2f} s;"
        f" verify/baseline {median / base:.2f}x; load average {os.getloadavg()[0]:.1f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--postgres",
        nargs="?",
        const="postgresql://postgres@127.0.0.1:5432/postgres",
        default=None,
        help="admin URL of a PostgreSQL server (default: SQLite)",
    )
    asyncio.run(main(parser.parse_args()))
