"""Who viewed or exported which personal data, and when (the ``audit_log`` table)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.domain.clock import now_us
from imr_live.domain.ids import new_id
from imr_live.store.database import Database

AUDIT_COLUMNS = "id, at, account_id, action, target"
"""The audit_log table's columns, named in every query."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row."""

    id: str
    at: int
    """When, µs since the epoch."""
    account_id: str
    """The staff account that looked."""
    action: str
    """What they did, e.g. ``view.attendance`` or ``export.client_report``."""
    target: str
    """What it was about, e.g. ``session:s_1a2b`` or ``client:C-0042``."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "id": self.id,
            "at": self.at,
            "account_id": self.account_id,
            "action": self.action,
            "target": self.target,
        }


class AuditLog:
    """Writes and reads audit rows."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def record(self, account_id: str, action: str, target: str) -> AuditEntry:
        """Write one row before the data leaves the server."""
        entry = AuditEntry(new_id("au"), now_us(), account_id, action, target)
        await self.db.execute(
            "INSERT INTO audit_log (id, at, account_id, action, target) VALUES (?, ?, ?, ?, ?)",
            entry.id,
            entry.at,
            entry.account_id,
            entry.action,
            entry.target,
        )
        return entry

    async def entries(self, target: str | None = None) -> list[AuditEntry]:
        """Rows, oldest first (only those about ``target`` if given)."""
        sql, args = f"SELECT {AUDIT_COLUMNS} FROM audit_log", []
        if target is not None:
            sql, args = sql + " WHERE target = ?", [target]
        rows = await self.db.fetch(sql + " ORDER BY at, id", *args)
        return [
            AuditEntry(r["id"], int(r["at"]), r["account_id"], r["action"], r["target"])
            for r in rows
        ]
