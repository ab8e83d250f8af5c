"""Who sits on one live connection: the authenticated identity the edge hands the domain."""

from __future__ import annotations

from dataclasses import dataclass

from imr_live.domain.roles import Role
from imr_live.domain.sessions import Session


@dataclass(frozen=True, slots=True)
class Seat:
    """An authenticated person in one session, as one connection presents them."""

    session: Session
    """The session the connection is for."""
    participant_id: str
    """Staff account id, or the invite id of a guest."""
    role: Role
    """Role in this session."""
    staff: bool
    """True for password-authenticated staff, False for join-link guests."""
    default_name: str = ""
    """Display name to use when none is given (staff: their username)."""

    @property
    def session_id(self) -> str:
        """Shorthand for the session's id."""
        return self.session.id
