"""Safety checks are kept for a configured time, then purged by a periodic task.

A safety check holds where a client was and numbers to call: personal data kept
only as long as a program needs it (``safety_retention_days``). Every
``safety_purge_interval_s`` the rows confirmed before the cutoff are deleted,
and each purge that removed rows writes one audit row (``purge.safety_checks``,
by ``system``) saying how many and up to when. The log of operators gets the
count only, never a place or a number.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from imr_live.domain.clock import now_us
from imr_live.domain.ids import new_id
from imr_live.store.database import Database

log = logging.getLogger(__name__)
DAY_US = 86_400 * 1_000_000
SYSTEM = "system"
"""The audit rows' account id for what the server does by itself."""


async def purge_safety_checks(db: Database, retention_days: float, now: int | None = None) -> int:
    """Delete checks confirmed more than ``retention_days`` ago; audit and return how many."""
    cutoff = (now_us() if now is None else now) - int(retention_days * DAY_US)
    removed = await db.execute("DELETE FROM safety_checks WHERE confirmed_at < ?", cutoff)
    if removed:
        await db.execute(
            "INSERT INTO audit_log (id, at, account_id, action, target) VALUES (?, ?, ?, ?, ?)",
            new_id("au"),
            now_us(),
            SYSTEM,
            "purge.safety_checks",
            f"safety_checks:before:{cutoff}:rows:{removed}",
        )
        log.info("safety checks: %d purged (older than %s days)", removed, retention_days)
    return removed


class SafetyRetention:
    """The periodic purge task of one process (each node may run it: the delete is idempotent)."""

    def __init__(self, db: Database, retention_days: float, interval_s: float) -> None:
        self.db = db
        self.retention_days = retention_days
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Purge now, then every interval."""
        self._task = asyncio.create_task(self._run(), name="safety-retention")

    async def _run(self) -> None:
        while True:
            try:
                await purge_safety_checks(self.db, self.retention_days)
            except Exception:  # a failed purge is retried next time, never kills the task
                log.exception("safety checks: purge failed")
            await asyncio.sleep(self.interval_s)

    async def close(self) -> None:
        """Stop the task."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
