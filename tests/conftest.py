"""Shared fixtures: a throwaway PostgreSQL database per run, real servers on loopback."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import secrets
import socket
import subprocess
import sys
import threading
import traceback
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aioice.ice
import asyncpg
import pytest
from aiortc.rtcicetransport import RTCIceGatherer

PG_ADMIN_URL = os.environ.get("IMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("IMR_TEST_REDIS", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    """A free TCP port on loopback (it may be in use for UDP: see `free_udp_port`)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def free_udp_port() -> int:
    """A free UDP port on loopback. A port free for TCP can be taken for UDP (ICE and RTP
    sockets take ephemeral ports): SIP on a port `free_port` gave failed to bind in CI."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ensure_postgres() -> None:
    """Start the local PostgreSQL cluster if it is installed but stopped."""
    try:
        socket.create_connection(("127.0.0.1", 5432), timeout=1).close()
    except OSError:
        versions = sorted(os.listdir("/etc/postgresql")) if os.path.isdir("/etc/postgresql") else []
        if not versions:
            pytest.fail("PostgreSQL is not running on 127.0.0.1:5432 and not installed")
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
            check=True,
        )


def _ensure_redis() -> None:
    """Start a local Redis if none answers on 6379."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        subprocess.run(
            [
                "redis-server",
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                "6379",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a PostgreSQL database created for this test run and dropped after it."""
    _ensure_postgres()
    name = f"imr_test_{secrets.token_hex(6)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The local Redis (started if needed); tests use their own key prefix."""
    _ensure_redis()
    return REDIS_URL


@pytest.fixture
def redis_prefix() -> str:
    """A key prefix no other test run uses."""
    return f"imrtest:{secrets.token_hex(6)}:"


@pytest.fixture
async def server(tmp_path: Path) -> AsyncIterator[Any]:
    """A real server on loopback: SQLite storage and the shipped session scripts."""
    from tests.live.harness import start_server

    srv = await start_server(tmp_path)
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def media_server(tmp_path: Path) -> AsyncIterator[Any]:
    """A real server with the in-process SFU (media on)."""
    from tests.live.harness import start_server

    srv = await start_server(tmp_path, sfu=True)
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture(params=["sqlite", "postgres", "postgres+redis"])
async def any_server(
    request: pytest.FixtureRequest, tmp_path: Path, pg_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[Any]:
    """A real server in each shape: SQLite; PostgreSQL; PostgreSQL with Redis coordination."""
    from tests.live.harness import start_server

    extra: dict[str, Any] = {}
    if request.param == "sqlite":
        extra["database_url"] = f"sqlite:///{tmp_path / 'store.sqlite3'}"
    else:
        extra["database_url"] = pg_url
        await truncate(pg_url, tmp_path)
    if request.param.endswith("redis"):
        extra["redis_url"] = redis_url
        extra["redis_prefix"] = redis_prefix
    srv = await start_server(tmp_path, **extra)
    try:
        yield srv
    finally:
        await srv.stop()


async def truncate(database_url: str, tmp_path: Path) -> None:
    """Empty every table of the run's PostgreSQL database."""
    from imr_live.store.database import open_database

    db = await open_database(database_url, tmp_path)
    try:
        await db.execute(
            "TRUNCATE accounts, staff_sessions, sessions, invites, session_log, session_heads,"
            " care_plans, fidelity_ratings, safety_checks, session_plans,"
            " audit_log, handouts, handout_pages"
        )
    finally:
        await db.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each backend in turn: a fresh SQLite file, or a fresh schema-less PG database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite3'}"
    base = request.getfixturevalue("pg_url")
    return str(base)


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[object]:
    """An open Database of the parametrized backend, emptied between tests."""
    from imr_live.store.database import open_database

    if database_url.startswith("postgresql"):
        await truncate(database_url, tmp_path)
    database = await open_database(database_url, tmp_path)
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture(autouse=True)
def restore_ice_host_addresses() -> Iterator[None]:
    """SfuService patches aioice process-wide: give other suites back what they had."""
    saved = aioice.ice.get_host_addresses
    try:
        yield
    finally:
        aioice.ice.get_host_addresses = saved


SOCKET_ORIGINS: dict[str, str] = {}
"""Local address of each ICE socket -> whose connection it is (the stack that made its
RTCIceGatherer): an unclosed socket the garbage collector finds is listed with it."""


def _record_socket_origins() -> None:
    make_gatherer = RTCIceGatherer.__init__
    create_endpoint = asyncio.base_events.BaseEventLoop.create_datagram_endpoint

    def gatherer_noting_origin(self: RTCIceGatherer, *args: Any, **kwargs: Any) -> None:
        # Made in the caller's task (gathering runs in tasks of aiortc's own): the stack
        # still shows whose connection it is.
        make_gatherer(self, *args, **kwargs)
        stack = traceback.format_stack()[:-1]
        ours = [line for line in stack if "site-packages" not in line and "asyncio" not in line]
        self._connection._test_origin = "".join(ours[-6:] or stack[-4:])  # type: ignore[attr-defined]

    async def create_endpoint_noting_origin(self: Any, *args: Any, **kwargs: Any) -> Any:
        transport, protocol = await create_endpoint(self, *args, **kwargs)
        connection = getattr(protocol, "receiver", None)
        if isinstance(connection, aioice.ice.Connection):
            origin = getattr(connection, "_test_origin", "(not from aiortc)")
            SOCKET_ORIGINS[repr(transport.get_extra_info("sockname"))] = origin
        return transport, protocol

    RTCIceGatherer.__init__ = gatherer_noting_origin  # type: ignore[method-assign]
    asyncio.base_events.BaseEventLoop.create_datagram_endpoint = create_endpoint_noting_origin  # type: ignore[method-assign]


def _origin_of(message: str) -> str:
    found = re.search(r"laddr=(\([^)]*\))", message)
    origin = SOCKET_ORIGINS.get(found.group(1)) if found else None
    return f"\n  opened by:\n{origin}" if origin else ""


HANG_DUMP_MARGIN_S = 20.0
"""How long before pytest-timeout ends a hung test its asyncio tasks are written out:
pytest-timeout shows the threads' stacks, and a hung event loop's thread only shows
the loop waiting, not which coroutine waits for what."""


def _dump_asyncio_tasks(test: str) -> None:
    """Write every running event loop's unfinished tasks with their stacks to stderr."""
    loops = [o for o in gc.get_objects() if isinstance(o, asyncio.AbstractEventLoop)]
    for loop in loops:
        if not loop.is_running():
            continue
        tasks = asyncio.all_tasks(loop)
        print(f"\n+++ {test}: near its timeout, {len(tasks)} asyncio tasks +++", file=sys.stderr)
        for task in tasks:
            with contextlib.suppress(Exception):  # another thread's tasks: best effort
                print(f"- {task.get_name()}:", file=sys.stderr)
                for line in _awaiting(task.get_coro()):
                    print(f"    {line}", file=sys.stderr)


def _awaiting(coro: Any) -> list[str]:
    """Where a suspended coroutine waits: each frame down its chain of awaits."""
    lines = []
    while coro is not None and len(lines) < 30:
        frame = getattr(coro, "cr_frame", None) or getattr(coro, "gi_frame", None)
        if frame is None:
            break  # a future, or a coroutine that has finished
        lines.append(f"{frame.f_code.co_filename}:{frame.f_lineno} in {frame.f_code.co_name}")
        coro = getattr(coro, "cr_await", None) or getattr(coro, "gi_yieldfrom", None)
    if coro is not None:
        lines.append(f"awaits {coro!r:.200}")
    return lines


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Write out the asyncio tasks of a test that is about to time out (see above)."""
    marker = item.get_closest_marker("timeout")
    limit = (
        float(marker.args[0]) if marker and marker.args else float(item.config.getini("timeout"))
    )
    watchdog = None
    if limit > HANG_DUMP_MARGIN_S:
        watchdog = threading.Timer(limit - HANG_DUMP_MARGIN_S, _dump_asyncio_tasks, (item.nodeid,))
        watchdog.daemon = True
        watchdog.start()
    try:
        return (yield)
    finally:
        if watchdog is not None:
            watchdog.cancel()


UNRAISABLE: list[str] = []
"""One line per object the garbage collector found unfinished (an unclosed socket, a
coroutine never awaited), with the test it was found in."""


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    """Note each unraisable exception in one line as well: pytest reports them as errors
    of whichever test was running when the collector ran, in a long section that CI's
    tail of the output does not show; the summary at the very end does."""
    pytest_hook = sys.unraisablehook
    _record_socket_origins()

    def hook(unraisable: Any) -> None:
        where = os.environ.get("PYTEST_CURRENT_TEST", "between tests")
        what = f"{type(unraisable.exc_value).__name__}: {unraisable.exc_value}"
        origin = _origin_of(str(unraisable.exc_value))
        UNRAISABLE.append(f"{where}: {what} in {unraisable.object!r:.160}{origin}")
        pytest_hook(unraisable)

    sys.unraisablehook = hook


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if UNRAISABLE:
        terminalreporter.section("found by the garbage collector")
        for line in UNRAISABLE:
            terminalreporter.line(line)
