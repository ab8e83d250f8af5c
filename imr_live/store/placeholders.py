"""Statements are written once with ``?`` placeholders; PostgreSQL gets ``$1..$n``."""

from __future__ import annotations

import re

_QMARK = re.compile(r"\?")


def to_dollar_params(sql: str) -> str:
    """Rewrite ``?`` placeholders as PostgreSQL's ``$1, $2, ...``."""
    counter = iter(range(1, 10_000))
    return _QMARK.sub(lambda _m: f"${next(counter)}", sql)
