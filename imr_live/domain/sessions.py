"""Scheduled IMR sessions: who leads them, their format and the script they run."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imr_live.domain.accounts import Account
from imr_live.domain.clock import now_us
from imr_live.domain.ids import new_id
from imr_live.domain.roles import Role, StaffRole
from imr_live.errors import Forbidden, InvalidInput, NotFound
from imr_live.store.database import Database

SESSION_COLUMNS = (
    "id, title, format, scheduled_at, script_ref, leader_id, co_leader_ids, status, created_at"
)
"""The sessions table's columns, named in every query."""


class SessionFormat(StrEnum):
    """How many clients a session serves."""

    INDIVIDUAL = "individual"
    GROUP = "group"


class SessionStatus(StrEnum):
    """Where a session is in its life."""

    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class Session:
    """One scheduled or held IMR session."""

    id: str
    """Opaque id (also the live room id)."""
    title: str
    """What the leader calls it (no client names, please)."""
    format: SessionFormat
    """Individual or group."""
    scheduled_at: int
    """Planned start, microseconds since the epoch."""
    script_ref: str | None
    """Session-script reference it runs, e.g. ``recovery-strategies/1``."""
    leader_id: str
    """Account id of the leading clinician."""
    co_leader_ids: tuple[str, ...] = field(default_factory=tuple)
    """Account ids of staff co-leaders."""
    status: SessionStatus = SessionStatus.SCHEDULED
    """Scheduled, live or ended."""

    def staff_role(self, account: Account) -> Role | None:
        """The in-session role of a staff account, or None if it has none here."""
        if account.id == self.leader_id:
            return Role.LEADER
        if account.id in self.co_leader_ids:
            return Role.CO_LEADER
        if account.role in (StaffRole.SUPERVISOR, StaffRole.ADMIN):
            return Role.SUPERVISOR
        return None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "id": self.id,
            "title": self.title,
            "format": self.format.value,
            "scheduled_at": self.scheduled_at,
            "script_ref": self.script_ref,
            "leader_id": self.leader_id,
            "co_leader_ids": list(self.co_leader_ids),
            "status": self.status.value,
        }


def _from_row(row: dict[str, Any]) -> Session:
    return Session(
        id=row["id"],
        title=row["title"],
        format=SessionFormat(row["format"]),
        scheduled_at=int(row["scheduled_at"]),
        script_ref=row["script_ref"],
        leader_id=row["leader_id"],
        co_leader_ids=tuple(json.loads(row["co_leader_ids"])),
        status=SessionStatus(row["status"]),
    )


class Sessions:
    """Stored sessions."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        creator: Account,
        title: str,
        format: str,
        scheduled_at: int | None = None,
        script_ref: str | None = None,
        co_leader_ids: list[str] | None = None,
    ) -> Session:
        """Create a session led by ``creator`` (a clinician or admin)."""
        if creator.role not in (StaffRole.CLINICIAN, StaffRole.ADMIN):
            raise Forbidden("only clinicians create sessions")
        title = title.strip()
        if not 1 <= len(title) <= 200:
            raise InvalidInput("title must be 1-200 characters")
        try:
            fmt = SessionFormat(format)
        except ValueError as exc:
            raise InvalidInput("format must be 'individual' or 'group'") from exc
        session = Session(
            new_id("s"),
            title,
            fmt,
            scheduled_at or now_us(),
            script_ref,
            creator.id,
            tuple(co_leader_ids or ()),
        )
        await self.db.execute(
            "INSERT INTO sessions (id, title, format, scheduled_at, script_ref, leader_id, "
            "co_leader_ids, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            session.id,
            session.title,
            fmt.value,
            session.scheduled_at,
            script_ref,
            creator.id,
            json.dumps(list(session.co_leader_ids)),
            session.status.value,
            now_us(),
        )
        return session

    async def get(self, session_id: str) -> Session:
        """The session with this id; NotFound otherwise."""
        row = await self.db.fetchrow(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE id = ?", session_id
        )
        if row is None:
            raise NotFound("no such session")
        return _from_row(row)

    async def for_account(self, account: Account) -> list[Session]:
        """Sessions an account leads or co-leads (all of them for supervisors and admins)."""
        rows = await self.db.fetch(
            f"SELECT {SESSION_COLUMNS} FROM sessions ORDER BY scheduled_at DESC"
        )
        sessions = [_from_row(r) for r in rows]
        return [s for s in sessions if s.staff_role(account) is not None]

    async def set_status(self, session_id: str, status: SessionStatus) -> None:
        """Record that a session went live or ended."""
        await self.db.execute(
            "UPDATE sessions SET status = ? WHERE id = ?", status.value, session_id
        )

    async def live(self) -> list[Session]:
        """Sessions that were live when the server last stopped."""
        rows = await self.db.fetch(
            f"SELECT {SESSION_COLUMNS} FROM sessions WHERE status = ?", "live"
        )
        return [_from_row(r) for r in rows]
