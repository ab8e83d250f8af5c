"""One small SQL interface over SQLite and PostgreSQL.

Queries are written once with ``?`` placeholders; the PostgreSQL backend turns
them into ``$1..$n``. SQLite runs on one dedicated thread, so every statement is
serialized there and the event loop never blocks on disk. Opening a database
runs its migrations (``schema.py``) and, when configured, starts exporting the
session log's signed heads to the anchor.
"""

from __future__ import annotations

import asyncio
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg

from imr_live.errors import Unavailable
from imr_live.store.log_anchor import AnchorExporter, LogAnchor
from imr_live.store.log_settings import LogSettings
from imr_live.store.log_store import LogStore, PostgresLogStore, SqliteLogStore
from imr_live.store.placeholders import to_dollar_params as to_dollar_params
from imr_live.store.schema import migrate

Row = dict[str, Any]
T = TypeVar("T")

IN_CHUNK = 500
"""Values per query in ``Database.fetch_in``."""


class Database(ABC):
    """A relational store: statements, row reads and serialized units of work."""

    dialect: str

    def __init__(self, log_settings: LogSettings | None, data_dir: Path | None) -> None:
        self._log_settings = log_settings
        self._data_dir = data_dir
        self._anchor: LogAnchor | None = None
        self._exporter: AnchorExporter | None = None

    @property
    def log_settings(self) -> LogSettings:
        """The session log's key and anchor (from configuration, never from the tables)."""
        if self._log_settings is None:
            self._log_settings = LogSettings.from_environment(self._data_dir)
        return self._log_settings

    @property
    def anchor(self) -> LogAnchor | None:
        """The anchor file of signed heads, when an anchor folder is configured."""
        return self._anchor

    async def export_anchor(self) -> int:
        """Export heads changed since the last export now; how many (0 without an exporter)."""
        return await self._exporter.export_now() if self._exporter else 0

    async def _after_open(self) -> None:
        """Migrate (the subclass holds its migration lock) and start the anchor timer."""
        settings = self.log_settings
        await migrate(self)
        if settings.anchor_dir is None:
            return
        self._anchor = LogAnchor(settings.anchor_dir, settings.key)
        if settings.exports_anchor:
            self._exporter = AnchorExporter(
                self._anchor, self.log_store().all_heads, settings.anchor_interval_s
            )
            await self._exporter.export_now()
            self._exporter.start()

    async def _before_close(self) -> None:
        """Export the final heads while the database is still open."""
        if self._exporter is not None:
            exporter, self._exporter = self._exporter, None
            await exporter.close()

    @abstractmethod
    def log_store(self) -> LogStore:
        """Session log reads and this engine's serialized log writer."""

    @abstractmethod
    async def execute_script(self, sql: str) -> None:
        """Run several parameterless statements (schema DDL)."""

    @abstractmethod
    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; return the number of rows it changed."""

    @abstractmethod
    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        """Run a query and return all rows as dicts."""

    @abstractmethod
    async def fetch_values(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Run a query and return all rows as tuples (cheaper than dicts for big scans)."""

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

    def __init__(self, path: Path, log_settings: LogSettings | None = None) -> None:
        super().__init__(log_settings, path.parent)
        self.path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite")
        self._conn: sqlite3.Connection | None = None

    async def open(self) -> None:
        """Open the file (creating folders), migrate it and start the anchor."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        await asyncio.get_running_loop().run_in_executor(self._pool, self._open_sync)
        await self._after_open()

    def _open_sync(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=5000")
        self._conn = conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the database thread (the one writer)."""
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._pool, self._call, fn)
        except RuntimeError as exc:  # the thread pool is shut down: the database is closed
            raise Unavailable("the database is closed") from exc

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn
        if conn is None:
            raise Unavailable("the database is closed")
        try:
            return fn(conn)
        except sqlite3.OperationalError as exc:
            raise Unavailable(f"database error: {exc}") from exc

    def log_store(self) -> LogStore:
        return SqliteLogStore(self, self.run)

    async def execute_script(self, sql: str) -> None:
        await self.run(lambda c: c.executescript(sql))

    async def execute(self, sql: str, *args: Any) -> int:
        return await self.run(lambda c: c.execute(sql, args).rowcount)

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        return await self.run(lambda c: [dict(r) for r in c.execute(sql, args).fetchall()])

    async def fetch_values(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        def values(conn: sqlite3.Connection) -> list[Sequence[Any]]:
            cursor = conn.cursor()
            cursor.row_factory = None
            rows: list[Sequence[Any]] = cursor.execute(sql, args).fetchall()
            return rows

        return await self.run(values)

    async def close(self) -> None:
        if self._conn is not None:
            await self._before_close()
            conn, self._conn = self._conn, None
            await asyncio.get_running_loop().run_in_executor(self._pool, conn.close)
        self._pool.shutdown(wait=True)


class PostgresDatabase(Database):
    """PostgreSQL through an asyncpg pool (``synchronous_commit=on``, the default)."""

    dialect = "postgres"

    def __init__(
        self,
        url: str,
        *,
        min_size: int = 1,
        max_size: int = 10,
        log_settings: LogSettings | None = None,
        data_dir: Path | None = None,
    ) -> None:
        super().__init__(log_settings, data_dir)
        self.url = url
        self._sizes = (min_size, max_size)
        self._pool: asyncpg.Pool | None = None

    async def open(self) -> None:
        """Connect, migrate (one node at a time) and start the anchor."""
        self._pool = await asyncio.wait_for(
            asyncpg.create_pool(self.url, min_size=self._sizes[0], max_size=self._sizes[1]), 10
        )
        async with self.pool.acquire() as conn:
            await conn.execute("SELECT pg_advisory_lock(4242)")
            try:
                await self._after_open()
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

    def log_store(self) -> LogStore:
        return PostgresLogStore(self, self.with_connection)

    async def execute_script(self, sql: str) -> None:
        await self.with_connection(lambda c: c.execute(sql))

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self.with_connection(lambda c: c.execute(to_dollar_params(sql), *args))
        tail = status.rsplit(" ", 1)[-1]
        return int(tail) if tail.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[Row]:
        rows: Sequence[Any] = await self.with_connection(
            lambda c: c.fetch(to_dollar_params(sql), *args)
        )
        return [dict(r) for r in rows]

    async def fetch_values(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        rows: list[Sequence[Any]] = await self.with_connection(
            lambda c: c.fetch(to_dollar_params(sql), *args)
        )
        return rows

    async def close(self) -> None:
        if self._pool is not None:
            await self._before_close()
            pool, self._pool = self._pool, None
            await asyncio.wait_for(pool.close(), 10)


async def open_database(
    url: str | None, data_dir: Path, *, log_settings: LogSettings | None = None
) -> Database:
    """Open the database named by ``url`` (PostgreSQL) or the SQLite file in ``data_dir``.

    ``log_settings`` default to what the environment configures for ``data_dir``.
    """
    settings = log_settings or LogSettings.from_environment(data_dir)
    db: SqliteDatabase | PostgresDatabase
    if url and url.startswith(("postgres://", "postgresql://")):
        db = PostgresDatabase(url, log_settings=settings, data_dir=data_dir)
    elif url and url.startswith("sqlite:///"):
        db = SqliteDatabase(Path(url.removeprefix("sqlite:///")), settings)
    elif url:
        raise Unavailable("DATABASE_URL must start with postgresql:// or sqlite:///")
    else:
        db = SqliteDatabase(data_dir / "imr-live.sqlite3", settings)
    try:
        await db.open()
    except BaseException:
        await db.close()  # a failed migration must not leak the pool or the thread
        raise
    return db
