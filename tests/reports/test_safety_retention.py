"""Safety checks are purged after the configured retention by the server's periodic task.

Ann and Ben each say where they are at join (real checks over the live
channel). Ann's is then made 40 days old (as if time passed); with a 30-day
retention the running server's purge removes hers, keeps Ben's, writes one
audit row, and the leads' view of Ann's check is gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from imr_live.domain.clock import now_us
from imr_live.domain.safety_retention import DAY_US, purge_safety_checks
from tests.conftest import truncate
from tests.live.harness import Server, guest, start_server

CHECK = {"location": "At home", "callback": "555-0101", "emergency_contact": "Rosa 555-0199"}


@pytest.fixture
async def purging(database_url: str, tmp_path: Path) -> AsyncIterator[Server]:
    """A server on SQLite or PostgreSQL that purges checks older than 30 days every 0.1 s."""
    if database_url.startswith("postgresql"):
        await truncate(database_url, tmp_path)
    srv = await start_server(
        tmp_path,
        database_url=database_url,
        safety_retention_days=30,
        safety_purge_interval_s=0.1,
    )
    try:
        yield srv
    finally:
        await srv.stop()


async def rows(server: Server, sql: str, *args: object) -> list[dict[str, object]]:
    return [dict(r) for r in await server.services.db.fetch(sql, *args)]


async def until(check: object, what: str, limit_s: float = 20) -> None:
    """Wait until the awaited ``check()`` is true (the purge runs on its own timer)."""
    deadline = time.monotonic() + limit_s
    while not await check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def test_old_safety_checks_are_purged_and_the_purge_audited(purging: Server) -> None:
    server = purging
    dana = await server.staff("dana")
    sid = (await dana.create_session())["id"]
    pids = []
    for ref in ("C-001", "C-002"):
        client = await guest(server, await dana.invite(sid, client_ref=ref))
        pids.append((await client.ok("join", {"display_name": "Someone"}))["you"]["id"])
        await client.ok("safety.confirm", CHECK)
    ann, ben = pids
    assert (await dana.api("GET", f"/api/sessions/{sid}/safety/{ann}"))[0] == 200
    forty_days_ago = now_us() - 40 * DAY_US
    await server.services.db.execute(
        "UPDATE safety_checks SET confirmed_at = ? WHERE participant_id = ?", forty_days_ago, ann
    )

    async def purged() -> bool:
        return not await rows(server, "SELECT 1 FROM safety_checks WHERE participant_id = ?", ann)

    await until(purged, "Ann's old check to be purged")
    left = await rows(server, "SELECT participant_id FROM safety_checks")
    assert [r["participant_id"] for r in left] == [ben]
    audit = await rows(
        server, "SELECT account_id, target FROM audit_log WHERE action = ?", "purge.safety_checks"
    )
    assert len(audit) == 1 and audit[0]["account_id"] == "system"
    assert str(audit[0]["target"]).endswith(":rows:1")
    status, body = await dana.api("GET", f"/api/sessions/{sid}/safety/{ann}")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert (await dana.api("GET", f"/api/sessions/{sid}/safety/{ben}"))[0] == 200
    # Nothing left to purge: later runs write no audit rows.
    assert await purge_safety_checks(server.services.db, 30) == 0
    await asyncio.sleep(0.3)
    audit = await rows(server, "SELECT 1 FROM audit_log WHERE action = ?", "purge.safety_checks")
    assert len(audit) == 1
