"""A session's recordings: playback of consenting participants' files, and deletion by an admin.

Files live under ``<recordings_dir>/<session id>/`` as the SFU writes them:
``<participant id>.<audio|video>[-<n>].webm``. A file is played back only
while its participant's latest consent answer in the session log is yes.
A deletion is appended to the session's own hash chain (``recording.deleted``,
actor the admin), so the chain still verifies and anyone reading the log later
sees that the recordings were removed, by whom and when.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from imr_live.domain.accounts import Account
from imr_live.domain.roles import StaffRole
from imr_live.errors import Forbidden, NotFound
from imr_live.reports.audit import AuditLog
from imr_live.store.session_log import LogEvent, SessionLog

FILE_NAME = re.compile(
    r"^(?P<participant>[A-Za-z0-9_-]{1,80})\.(?P<kind>audio|video)(-\d{1,4})?\.webm$"
)


@dataclass(frozen=True, slots=True)
class RecordingFile:
    """One recorded track segment."""

    name: str
    participant: str
    kind: str
    """``audio`` or ``video``."""
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class Deleted:
    """What a deletion removed."""

    files: int
    bytes: int
    event: LogEvent
    """The ``recording.deleted`` event appended to the session log."""


def consenting(events: list[LogEvent]) -> set[str]:
    """Participants whose latest consent answer is yes."""
    answers = {
        e.data["participant"]: e.data["recording"] for e in events if e.kind == "consent.set"
    }
    return {pid for pid, yes in answers.items() if yes}


class Recordings:
    """The recordings of sessions under one folder (``<root>/<session id>/``)."""

    def __init__(self, root: Path, log: SessionLog, audit: AuditLog) -> None:
        self.root = root
        self.log = log
        self.audit = audit

    def folder(self, session_id: str) -> Path:
        """Where a session's recordings live."""
        return self.root / session_id

    async def playable(self, session_id: str) -> list[RecordingFile]:
        """Files of participants who consent now, by name."""
        allowed = consenting(await self.log.read(session_id))
        found = await asyncio.to_thread(_listing, self.folder(session_id))
        return [f for f in found if f.participant in allowed]

    async def play(self, session_id: str, name: str, account: Account) -> Path:
        """The path of one playable file; the view is audited first."""
        if name not in {f.name for f in await self.playable(session_id)}:
            raise NotFound("no such recording, or its participant has not consented")
        await self.audit.record(account.id, "play.recording", f"recording:{session_id}/{name}")
        return self.folder(session_id) / name

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


def _listing(folder: Path) -> list[RecordingFile]:
    """The recorder's files directly in ``folder``."""
    out = []
    for path in _files(folder):
        match = FILE_NAME.match(path.name)
        if match and path.parent == folder:
            out.append(
                RecordingFile(path.name, match["participant"], match["kind"], path.stat().st_size)
            )
    return out
