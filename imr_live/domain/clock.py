"""Wall-clock time in the units the store uses (microseconds since the epoch)."""

from __future__ import annotations

import time


def now_us() -> int:
    """Microseconds since the Unix epoch."""
    return time.time_ns() // 1000


SECOND_US = 1_000_000
