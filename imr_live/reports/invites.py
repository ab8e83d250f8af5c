"""Invites as reports read them: with when each was made and turned off.

The domain's ``Invite`` says whether a link is off now; attendance needs when
(a link turned off after the session started still was an expected place), so
reports read the invites table with its times.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.domain.roles import Role
from imr_live.store.database import Database


@dataclass(frozen=True, slots=True)
class InviteRecord:
    """One join link of one session, with its times (µs since the epoch)."""

    id: str
    """Invite id, also the holder's participant id in the session."""
    session_id: str
    role: Role
    client_ref: str | None
    """The client's record number; on a supporter's link, the client they support."""
    created_at: int
    expires_at: int
    revoked_at: int | None
    """When the link was turned off (None: still on)."""

    @property
    def revoked(self) -> bool:
        """True once the link was turned off."""
        return self.revoked_at is not None

    @property
    def for_client(self) -> bool:
        """True for a client's own link (a supporter's link never is)."""
        return self.role is Role.CLIENT


def _from_row(row: dict[str, Any]) -> InviteRecord:
    revoked = row["revoked_at"]
    return InviteRecord(
        row["id"],
        row["session_id"],
        Role(row["role"]),
        row["client_ref"],
        int(row["created_at"]),
        int(row["expires_at"]),
        None if revoked is None else int(revoked),
    )


async def invites_of(db: Database, session_ids: list[str]) -> dict[str, list[InviteRecord]]:
    """Every invite of each session, oldest first."""
    out: dict[str, list[InviteRecord]] = {sid: [] for sid in session_ids}
    rows = await db.fetch_in(
        "SELECT id, session_id, role, client_ref, created_at, expires_at, revoked_at "
        "FROM invites WHERE session_id IN ({marks}) ORDER BY created_at, id",
        list(out),
    )
    for row in rows:
        out[row["session_id"]].append(_from_row(row))
    return out
