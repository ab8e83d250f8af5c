"""A token bucket per connection, so one noisy client cannot flood a session."""

from __future__ import annotations

import time

from imr_live.errors import RateLimited


class TokenBucket:
    """Allows ``rate`` events per second with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def take(self) -> None:
        """Spend one token or raise RateLimited."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            raise RateLimited("you are sending too fast; wait a moment")
        self.tokens -= 1
