"""Operators' log lines bounded: one traceback per kind per minute, no forged lines.

Anyone can send frames that make a library raise; without a bound, each one
writes a traceback and a client can fill the disk. The filter keeps the first
record of each kind (logger, exception type, place) in a window and counts the
rest, saying how many were held back when the next window opens.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

WINDOW_S = 60.0
"""One record per kind per window."""


class RepeatedTracebacks(logging.Filter):
    """Lets through one record with a traceback per kind per window; counts the rest."""

    def __init__(
        self, window_s: float = WINDOW_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._seen: dict[tuple[str, str, str, int], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """False for a repeat of a traceback already logged in this window."""
        if not record.exc_info or record.exc_info[0] is None:
            return True
        kind = (record.name, record.exc_info[0].__name__, record.pathname, record.lineno)
        now = self.clock()
        opened, held = self._seen.get(kind, (-self.window_s, 0))
        if now - opened < self.window_s:
            self._seen[kind] = (opened, held + 1)
            return False
        if len(self._seen) > 1_000:
            self._seen.clear()
        self._seen[kind] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like it held back in the last minute)"
        return True


def install(root: logging.Logger | None = None) -> RepeatedTracebacks:
    """Put the filter on every handler of the root logger (where every record ends up)."""
    limit = RepeatedTracebacks()
    for handler in (root or logging.getLogger()).handlers:
        handler.addFilter(limit)
    return limit
