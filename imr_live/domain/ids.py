"""Random identifiers that carry no personal data."""

from __future__ import annotations

import secrets


def new_id(prefix: str) -> str:
    """A short random id such as ``s_3f9a0c1b2d4e``."""
    return f"{prefix}_{secrets.token_hex(6)}"
