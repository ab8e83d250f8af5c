"""One small SQL interface over SQLite and PostgreSQL.

Queries are written once with ``?`` placeholders; the PostgreSQL backend turns
them into ``$1..$n``. SQLite runs on one dedicated thread, so every statement is
serialized there and the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from imr_live.errors import Unavailable

Row = dict[str, Any]
T = TypeVar("T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    script_ref TEXT,
    leader_id TEXT NOT NULL,
    co_leader_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    client_ref TEXT
);
CREATE INDEX IF NOT EXISTS invites_by_session ON invites (session_id);
CREATE TABLE IF NOT EXISTS session_log (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
);
"""

_QMARK = re.compile(r"\?")


def to_dollar_params(sql: str) -> str:
    """Rewrite ``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    counter = iter(range(1, 10_000))
    return _QMARK.sub(lambda _m: f"${next(counter)}", sql)


IN_CHUNK = 500
"""Values per query in ``Database.fetch_in``."""


class Database(ABC):
    """A relational store: statements, row reads and serialized units of work."""

    dialect: str

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run a query and return all rows as dicts."""

    async def fetchrow(self, sql: str, *args: Any) -> Row | None:
        """Run a query and return its first row, or None."""
        rows = await self.fetch(sql, *args)
        return rows[0] if rows else None

    async def fetch_in(self, sql: str, values: Sequence[Any]) -> list[Row]:
        """Rows of ``sql`` whose ``{marks}`` becomes ``?, ?, …`` for ``values``.

        One query per ``IN_CHUNK`` values (well under either engine's parameter
        limit); rows come in the query's order within each chunk.
        """
        rows: list[Row] = []
        for start in range(0, len(values), IN_CHUNK):
            chunk = values[start : start + IN_CHUNK]
            rows += await self.fetch(sql.format(marks=", ".join("?" * len(chunk))), *chunk)
        return rows

    @abstractmethod
    async def close(self) -> None:
        """Release connections; idempotent."""


class SqliteDatabase(Database):
    """SQLite in WAL mode with ``synchronous=FULL``: a commit survives power loss."""

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the file (creating folders and tables)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await self.run(self._open_sync)

    def _open_sync(self, _conn: object) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(SCHEMA)
        self._conn = conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the database thread (the one writer)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, self._call, fn)

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            return fn(self._conn)  # type: ignore[arg-type]
        except sqlite3.OperationalError as exc:
            raise Unavailable(f"database error: {exc}") from exc

    async def execute(self, sql: str, *args: Any) -> int:
        return await self.run(lambda c: c.execute(sql, args).rowcount)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self.run(lambda c: [dict(r) for r in c.execute(sql, args).fetchall()])

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._pool, conn.close)
        self._pool.shutdown(wait=True)


class PostgresDatabase(Database):
    """PostgreSQL through an asyncpg pool (``synchronous_commit=on``, the default)."""

    dialect = "postgres"

    def __init__(self, url: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.url = url
        self._sizes = (min_size, max_size)
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        """Connect and create tables."""
        self._pool = await asyncio.wait_for(
            asyncpg.create_pool(self.url, min_size=self._sizes[0], max_size=self._sizes[1]), 10
        )
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock(4242)")
            try:
                await conn.execute(SCHEMA)
            finally:
                await conn.execute("SELECT pg_advisory_unlock(4242)")

    @property
    def pool(self) -> asyncpg.Pool:
        """The open connection pool."""
        if self._pool is None:
            raise Unavailable("database is not open")
        return self._pool

    async def with_connection(self, fn: Callable[[asyncpg.Connection], Awaitable[T]]) -> T:
        """Run ``fn(connection)``, turning connection failures into Unavailable."""
        try:
            async with self.pool.acquire(timeout=10) as conn:
                return await fn(conn)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            raise Unavailable(f"database unavailable: {type(exc).__name__}") from exc

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self.with_connection(lambda c: c.execute(to_dollar_params(sql), *args))
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        rows: Sequence[Any] = await self.with_connection(
            lambda c: c.fetch(to_dollar_params(sql), *args)
        )
        return [dict(r) for r in rows]

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.wait_for(pool.close(), 10)


async def open_database(url: str | None, data_dir: Path) -> Database:
    """Open the database named by ``url`` (PostgreSQL) or the SQLite file in ``data_dir``."""
    db: SqliteDatabase | PostgresDatabase
    if url and url.startswith(("postgres://", "postgresql://")):
        db = PostgresDatabase(url)
    elif url and url.startswith("sqlite:///"):
        db = SqliteDatabase(Path(url.removeprefix("sqlite:///")))
    elif url:
        raise Unavailable("DATABASE_URL must start with postgresql:// or sqlite:///")
    else:
        db = SqliteDatabase(data_dir / "imr-live.sqlite3")
    await db.open()
    return db
