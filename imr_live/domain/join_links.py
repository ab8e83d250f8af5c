"""Join links: one per person per session, bound to a role, signed, expiring, revocable.

A link's token is ``<invite id>.<HMAC of the invite id>``: it names no person,
and the server still checks the stored invite (expiry, revocation, session end)
on every use. Tokens are never logged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from typing import Any

from imr_live.domain.accounts import Account
from imr_live.domain.clock import SECOND_US, now_us
from imr_live.domain.ids import new_id
from imr_live.domain.roles import INVITE_ROLES, Role
from imr_live.domain.sessions import Session, SessionStatus
from imr_live.errors import InvalidInput, NotAuthenticated, NotFound
from imr_live.store.database import Database

DEFAULT_TTL_S = 14 * 24 * 3600
CLIENT_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")
"""An opaque cross-session client key (a record number, never a name)."""

LANGUAGE = re.compile(r"[A-Za-z][A-Za-z() -]{1,39}")
"""A language's name or tag ("Spanish", "es", "American Sign Language")."""

INVITE_SELECT = (
    "SELECT i.id, i.session_id, i.role, i.created_by, i.created_at, i.expires_at, "
    "i.revoked_at, i.client_ref, t.language, t.interprets_for, w.starts_at, w.ends_at "
    "FROM invites i LEFT JOIN interpreter_invites t ON t.invite_id = i.id "
    "LEFT JOIN guest_windows w ON w.invite_id = i.id"
)
"""Every query's columns: the invite and, for an interpreter, their language and person."""


@dataclass(frozen=True, slots=True)
class Invite:
    """A person's place in one session, reached by a join link."""

    id: str
    """Opaque invite id; it is also the person's participant id in the session."""
    session_id: str
    """The session the link opens."""
    role: Role
    """The role the person has there."""
    expires_at: int
    """When the link stops working (microseconds since the epoch)."""
    revoked: bool = False
    """True once revoked (or the person was removed)."""
    client_ref: str | None = None
    """Opaque key naming the same client across sessions (None when not given)."""
    language: str | None = None
    """An interpreter's language (None for every other role)."""
    interprets_for: str | None = None
    """The participant an interpreter interprets for (None: the whole group)."""
    window_start: int | None = None
    """A guest speaker's time window (µs since the epoch): from then they come straight in."""
    window_end: int | None = None
    """The window's end: after it the link no longer opens."""

    def window_open(self, at: int | None = None) -> bool:
        """True inside the time window (never for a link without one)."""
        if self.window_start is None or self.window_end is None:
            return False
        now = now_us() if at is None else at
        return self.window_start <= now <= self.window_end

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (without the token)."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "role": self.role.value,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
            "client_ref": self.client_ref,
            "language": self.language,
            "interprets_for": self.interprets_for,
            "window_start": self.window_start,
            "window_end": self.window_end,
        }


class JoinLinks:
    """Creates, checks and revokes join links."""

    def __init__(self, db: Database, secret: bytes) -> None:
        self.db = db
        self.secret = secret

    def token_for(self, invite_id: str) -> str:
        """The signed token of an invite (what the join link carries)."""
        mac = hmac.new(self.secret, invite_id.encode(), hashlib.sha256).digest()[:18]
        return f"{invite_id}.{base64.urlsafe_b64encode(mac).decode()}"

    async def create(
        self,
        session: Session,
        by: Account,
        role: str,
        ttl_s: int = DEFAULT_TTL_S,
        client_ref: str | None = None,
        language: str | None = None,
        interprets_for: str | None = None,
        window: tuple[int, int] | None = None,
    ) -> tuple[Invite, str]:
        """A new invite and its token; an interpreter's names their language (and,
        optionally, the participant of this session they interpret for); a guest
        speaker's may carry a time window (start, end in µs since the epoch)."""
        try:
            r = Role(role)
        except ValueError:
            r = None
        if r not in INVITE_ROLES:
            names = ", ".join(sorted(x.value for x in INVITE_ROLES))
            raise InvalidInput(f"invite role must be one of: {names}")
        if not 60 <= ttl_s <= 365 * 24 * 3600:
            raise InvalidInput("a link must last between one minute and one year")
        if client_ref is not None and not CLIENT_REF.fullmatch(client_ref):
            raise InvalidInput("client_ref: 1-64 letters, digits or _.:- (an opaque key, no names)")
        await self._check_interpreting(session, r, language, interprets_for)
        expires_at = now_us() + ttl_s * SECOND_US
        _check_window(r, window, expires_at)
        invite = Invite(
            new_id("p"),
            session.id,
            r,
            expires_at,
            False,
            client_ref,
            language,
            interprets_for,
            None if window is None else window[0],
            None if window is None else window[1],
        )
        await self.db.execute(
            "INSERT INTO invites (id, session_id, role, created_by, created_at, expires_at, "
            "client_ref) VALUES (?, ?, ?, ?, ?, ?, ?)",
            invite.id,
            session.id,
            invite.role.value,
            by.id,
            now_us(),
            invite.expires_at,
            client_ref,
        )
        if language is not None:
            await self.db.execute(
                "INSERT INTO interpreter_invites (invite_id, language, interprets_for) "
                "VALUES (?, ?, ?)",
                invite.id,
                language,
                interprets_for,
            )
        if window is not None:
            await self.db.execute(
                "INSERT INTO guest_windows (invite_id, starts_at, ends_at) VALUES (?, ?, ?)",
                invite.id,
                window[0],
                window[1],
            )
        return invite, self.token_for(invite.id)

    async def _check_interpreting(
        self, session: Session, role: Role, language: str | None, interprets_for: str | None
    ) -> None:
        if role is not Role.INTERPRETER:
            if language is not None or interprets_for is not None:
                raise InvalidInput("language: only an interpreter's link names a language")
            return
        if language is None or not LANGUAGE.fullmatch(language):
            raise InvalidInput("language: name the language, 2-40 letters (e.g. Spanish)")
        if interprets_for is None or interprets_for == session.leader_id:
            return
        try:
            person = await self.get(interprets_for)
        except NotFound:
            person = None
        if person is None or person.session_id != session.id or person.role is Role.INTERPRETER:
            raise InvalidInput("interprets_for: not a person invited to this session")

    async def check(self, token: str, session: Session | None = None) -> Invite:
        """The invite a token opens; NotAuthenticated when forged, expired or revoked."""
        invite_id, _, _ = token.partition(".")
        if not hmac.compare_digest(self.token_for(invite_id), token):
            raise NotAuthenticated("this join link is not valid")
        invite = await self.still_valid(invite_id)
        if invite.window_end is not None and invite.window_end < now_us():
            raise NotAuthenticated(
                "the time for this guest speaker link has passed", code="guest_window_closed"
            )
        if session is not None and session.status is SessionStatus.ENDED:
            raise NotAuthenticated("this session has ended", code="session_ended")
        return invite

    async def still_valid(self, invite_id: str) -> Invite:
        """The invite of an open connection, re-read; NotAuthenticated once revoked or expired."""
        invite = await self.get(invite_id)
        if invite.revoked:
            raise NotAuthenticated("this join link was turned off", code="link_revoked")
        if invite.expires_at < now_us():
            raise NotAuthenticated("this join link has expired", code="link_expired")
        return invite

    async def get(self, invite_id: str) -> Invite:
        """A stored invite; NotFound otherwise."""
        row = await self.db.fetchrow(f"{INVITE_SELECT} WHERE i.id = ?", invite_id)
        if row is None:
            raise NotFound("no such invite")
        return _from_row(row)

    async def for_session(self, session_id: str) -> list[Invite]:
        """Every invite of a session, oldest first."""
        rows = await self.db.fetch(
            f"{INVITE_SELECT} WHERE i.session_id = ? ORDER BY i.created_at",
            session_id,
        )
        return [_from_row(r) for r in rows]

    async def for_sessions(self, session_ids: list[str]) -> dict[str, list[Invite]]:
        """Every invite of each session, oldest first, in one query per 500 sessions."""
        out: dict[str, list[Invite]] = {sid: [] for sid in session_ids}
        rows = await self.db.fetch_in(
            f"{INVITE_SELECT} WHERE i.session_id IN ({{marks}}) ORDER BY i.created_at, i.id",
            list(out),
        )
        for row in rows:
            out[row["session_id"]].append(_from_row(row))
        return out

    async def same_client(self, invite: Invite) -> list[Invite]:
        """Every invite of the same client (same ``client_ref``), or just this one without it."""
        if not invite.client_ref:
            return [invite]
        rows = await self.db.fetch(
            f"{INVITE_SELECT} WHERE i.client_ref = ? ORDER BY i.created_at, i.id",
            invite.client_ref,
        )
        return [_from_row(r) for r in rows]

    async def revoke(self, invite_id: str) -> None:
        """Stop a link from working (idempotent)."""
        await self.db.execute(
            "UPDATE invites SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            now_us(),
            invite_id,
        )


def _from_row(row: dict[str, Any]) -> Invite:
    return Invite(
        row["id"],
        row["session_id"],
        Role(row["role"]),
        int(row["expires_at"]),
        row["revoked_at"] is not None,
        row.get("client_ref"),
        row.get("language"),
        row.get("interprets_for"),
        _maybe_int(row.get("starts_at")),
        _maybe_int(row.get("ends_at")),
    )


def _maybe_int(value: Any) -> int | None:
    return None if value is None else int(value)


MAX_WINDOW_US = 24 * 3600 * SECOND_US


def _check_window(role: Role, window: tuple[int, int] | None, expires_at: int) -> None:
    """A time window: a guest speaker's only, ending after it starts, within a day, before
    the link expires, and not over already."""
    if window is None:
        return
    if role is not Role.GUEST_SPEAKER:
        raise InvalidInput("window: only a guest speaker's link has a time window")
    start, end = window
    if end <= start or end - start > MAX_WINDOW_US:
        raise InvalidInput("window: the end must come after the start, at most one day later")
    if end < now_us():
        raise InvalidInput("window: that time has already passed")
    if end > expires_at:
        raise InvalidInput("window: it must end before the link expires (ttl_s)")
