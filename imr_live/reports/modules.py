"""Which IMR module a session belongs to."""

from __future__ import annotations

NO_MODULE = "(no script)"


def module_of(script_ref: str | None) -> str:
    """The module of a session script reference: its part before the first ``/``."""
    if not script_ref:
        return NO_MODULE
    return script_ref.split("/", 1)[0]
