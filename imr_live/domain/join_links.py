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

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (without the token)."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "role": self.role.value,
            "expires_at": self.expires_at,
            "revoked": self.revoked,
            "client_ref": self.client_ref,
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
    ) -> tuple[Invite, str]:
        """A new invite and its token."""
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
        invite = Invite(new_id("p"), session.id, r, now_us() + ttl_s * SECOND_US, False, client_ref)
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
        return invite, self.token_for(invite.id)

    async def check(self, token: str, session: Session | None = None) -> Invite:
        """The invite a token opens; NotAuthenticated when forged, expired or revoked."""
        invite_id, _, _ = token.partition(".")
        if not hmac.compare_digest(self.token_for(invite_id), token):
            raise NotAuthenticated("this join link is not valid")
        invite = await self.get(invite_id)
        if invite.revoked:
            raise NotAuthenticated("this join link was turned off", code="link_revoked")
        if invite.expires_at < now_us():
            raise NotAuthenticated("this join link has expired", code="link_expired")
        if session is not None and session.status is SessionStatus.ENDED:
            raise NotAuthenticated("this session has ended", code="session_ended")
        return invite

    async def get(self, invite_id: str) -> Invite:
        """A stored invite; NotFound otherwise."""
        row = await self.db.fetchrow("SELECT * FROM invites WHERE id = ?", invite_id)
        if row is None:
            raise NotFound("no such invite")
        return _from_row(row)

    async def for_session(self, session_id: str) -> list[Invite]:
        """Every invite of a session, oldest first."""
        rows = await self.db.fetch(
            "SELECT * FROM invites WHERE session_id = ? ORDER BY created_at", session_id
        )
        return [_from_row(r) for r in rows]

    async def for_sessions(self, session_ids: list[str]) -> dict[str, list[Invite]]:
        """Every invite of each session, oldest first, in one query per 500 sessions."""
        out: dict[str, list[Invite]] = {sid: [] for sid in session_ids}
        rows = await self.db.fetch_in(
            "SELECT * FROM invites WHERE session_id IN ({marks}) ORDER BY created_at, id",
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
            "SELECT * FROM invites WHERE client_ref = ? ORDER BY created_at, id", invite.client_ref
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
    )
