"""Retention: an admin deletes a session's recordings; the audit log and the session log say so.

The deletion is appended to the session's own hash chain (``recording.deleted``,
actor the admin), so the chain still verifies and anyone reading the log
later sees that the recordings were removed, by whom and when.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from pathlib import Path

from imr_live.domain.accounts import Account
from imr_live.domain.roles import StaffRole
from imr_live.errors import Forbidden, NotFound
from imr_live.reports.audit import AuditLog
from imr_live.store.session_log import LogEvent, SessionLog


@dataclass(frozen=True, slots=True)
class Deleted:
    """What a deletion removed."""

    files: int
    bytes: int
    event: LogEvent
    """The ``recording.deleted`` event appended to the session log."""


class Recordings:
    """The recordings of sessions under one folder (``<root>/<session id>/``)."""

    def __init__(self, root: Path, log: SessionLog, audit: AuditLog) -> None:
        self.root = root
        self.log = log
        self.audit = audit

    def folder(self, session_id: str) -> Path:
        """Where a session's recordings live."""
        return self.root / session_id

    async def delete(self, session_id: str, admin: Account) -> Deleted:
        """Remove every recording of the session; only an admin may."""
        if admin.role is not StaffRole.ADMIN:
            raise Forbidden("only an admin may delete recordings")
        folder = self.folder(session_id)
        files = await asyncio.to_thread(_files, folder)
        if not files:
            raise NotFound("this session has no recordings")
        size = sum(f.stat().st_size for f in files)
        await self.audit.record(admin.id, "delete.recordings", f"session:{session_id}")
        await asyncio.to_thread(shutil.rmtree, folder)
        data = {"files": len(files), "bytes": size}
        event = await self.log.append(session_id, admin.id, "recording.deleted", data)
        return Deleted(len(files), size, event)


def _files(folder: Path) -> list[Path]:
    """Every file under ``folder`` (none if it does not exist)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []
