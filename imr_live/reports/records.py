"""Loads what reports read: sessions, their stored logs and their invites."""

from __future__ import annotations

from dataclasses import dataclass

from imr_live.domain.accounts import Account
from imr_live.domain.join_links import Invite, JoinLinks
from imr_live.domain.sessions import Session, Sessions
from imr_live.store.database import Database
from imr_live.store.session_log import LogEvent, SessionLog


@dataclass(frozen=True, slots=True)
class SessionRecord:
    """One session with its stored log and invites: everything a report needs of it."""

    session: Session
    events: list[LogEvent]
    """The session's log, in seq order."""
    invites: list[Invite]
    """Every invite of the session (revoked ones too)."""

    @property
    def held(self) -> bool:
        """True once the session started (its log has ``session.started``)."""
        return any(e.kind == "session.started" for e in self.events)

    @property
    def ended(self) -> bool:
        """True once the log has ``session.ended``."""
        return any(e.kind == "session.ended" for e in self.events)

    def client_refs(self) -> dict[str, str]:
        """Invite id -> client_ref, for invites that carry one."""
        return {i.id: i.client_ref for i in self.invites if i.client_ref}

    def kinds(self) -> set[str]:
        """Every event kind in the log."""
        return {e.kind for e in self.events}


class ReportRecords:
    """Reads sessions, logs and invites from the store (never from live state)."""

    def __init__(self, db: Database, log: SessionLog, sessions: Sessions, links: JoinLinks):
        self.db = db
        self.log = log
        self.sessions = sessions
        self.links = links

    async def record(self, session: Session) -> SessionRecord:
        """One session's record."""
        events = await self.log.read(session.id)
        return SessionRecord(session, events, await self.links.for_session(session.id))

    async def visible_to(self, account: Account) -> list[SessionRecord]:
        """Records of every session the account may review, oldest first."""
        found = await self.sessions.for_account(account)
        found.sort(key=lambda s: (s.scheduled_at, s.id))
        return [await self.record(s) for s in found]

    async def of_client(self, client_ref: str, account: Account) -> list[SessionRecord]:
        """Records of the sessions a client was invited to that the account may review."""
        rows = await self.db.fetch(
            "SELECT DISTINCT session_id FROM invites WHERE client_ref = ?", client_ref
        )
        found = [await self.sessions.get(r["session_id"]) for r in rows]
        mine = [s for s in found if s.staff_role(account) is not None]
        mine.sort(key=lambda s: (s.scheduled_at, s.id))
        return [await self.record(s) for s in mine]

    async def usernames(self) -> dict[str, str]:
        """Staff account id -> username (for labelling clinicians)."""
        rows = await self.db.fetch("SELECT id, username FROM accounts")
        return {r["id"]: r["username"] for r in rows}
