"""The root error of imr_live and its stable error codes.

Every error that reaches a user carries a code (stable, machine-readable) and a
plain-language message. Edges turn them into acks and HTTP responses.
"""

from __future__ import annotations


class ImrError(Exception):
    """Root of every error imr_live raises on purpose."""

    code = "internal"
    status = 500

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def as_dict(self) -> dict[str, str]:
        """The error as the wire shows it: ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}


class InvalidInput(ImrError):
    """The request is malformed: wrong types, sizes or values."""

    code = "invalid"
    status = 400


class NotAuthenticated(ImrError):
    """Nobody is signed in, or the credentials are wrong, expired or revoked."""

    code = "unauthenticated"
    status = 401


class Forbidden(ImrError):
    """The sender's role does not allow this action."""

    code = "forbidden"
    status = 403


class NotFound(ImrError):
    """The thing named does not exist (or the sender may not know it exists)."""

    code = "not_found"
    status = 404


class Conflict(ImrError):
    """The action does not fit the current state (out of order, already done)."""

    code = "conflict"
    status = 409


class RateLimited(ImrError):
    """The sender is sending too fast."""

    code = "rate_limited"
    status = 429


class Unavailable(ImrError):
    """A backing service (database, Redis, SFU) cannot take the request now."""

    code = "unavailable"
    status = 503


class ConfigError(ImrError):
    """The configuration is invalid or unsafe."""

    code = "config"
