"""Token buckets per connection and per client address, so one noisy client cannot flood a session.

A connection has its own budget of events; every connection of one address also
spends from that address's budget, which outlives the connections: an address
that floods and reconnects starts again from what it left, not from a fresh
burst. Refusals are budgeted too (``strikes``): a connection that runs out of its
own, or of its address's (twice a connection's, so one connection's flood alone
does not spend them: others may share the address), is cut off. While its
address's strikes are spent the address may not open new connections, and
running out of them puts the address's event budget a full burst into debt (doubling with each cut within a minute of the
last, up to 16 bursts): a flooder that reconnects gets nothing handled until it
has been quiet for a while (``burst / rate`` seconds, 3 s at the defaults, then
6, 12, ... up to 48 s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

from imr_live.errors import RateLimited

MAX_ADDRESSES = 10_000
"""Addresses whose budgets are kept; idle ones are forgotten first."""
ADDRESS_STRIKES_PER_SECOND = 1.0
"""How fast an address that was cut off for flooding earns back its refusals."""
SUMMARY_S = 60.0
"""At most one operator log line per address per this many seconds."""


class TokenBucket:
    """Allows ``rate`` events per second with bursts up to ``burst``."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.stamp = time.monotonic()

    def available(self) -> float:
        """Tokens there are now (refilled since the last look)."""
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        return self.tokens

    def take(self) -> None:
        """Spend one token or raise RateLimited."""
        if not self.try_take():
            raise RateLimited("you are sending too fast; wait a moment")

    def owe(self, tokens: float) -> None:
        """Empty the bucket and go ``tokens`` into debt (refilled at ``rate`` as usual)."""
        self.available()
        self.tokens = -tokens

    def try_take(self) -> bool:
        """Spend one token if there is one."""
        if self.available() < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class AddressState:
    """One client address: its budgets and what it was refused since its last log line."""

    address: str
    events: TokenBucket
    strikes: TokenBucket
    refused: int = 0
    connects_refused: int = 0
    cut: int = 0
    logged_at: float = field(default=-SUMMARY_S)
    debt_level: int = 0
    """Cuts in a row, each within ``SUMMARY_S`` of the last: the debt doubles with each."""
    last_cut: float = field(default=-SUMMARY_S)

    def penalize(self) -> None:
        """A connection of this address was cut for flooding: its event budget goes into
        debt, a full burst for the first cut, doubling with each cut in a row (up to 16)."""
        now = time.monotonic()
        self.debt_level = min(self.debt_level + 1, 5) if now - self.last_cut < SUMMARY_S else 1
        self.last_cut = now
        self.cut += 1
        self.events.owe(self.events.burst * 2 ** (self.debt_level - 1))

    def summary(self) -> str | None:
        """A line for operators, at most once per ``SUMMARY_S``; None when it is not time yet."""
        now = time.monotonic()
        if now - self.logged_at < SUMMARY_S:
            return None
        self.logged_at = now
        line = (
            f"refused {self.refused} events and {self.connects_refused} connections "
            f"(rate_limited), cut {self.cut} connections"
        )
        self.refused = self.connects_refused = self.cut = 0
        return line


class AddressLimits:
    """Event budgets per client address, shared by all of that address's connections."""

    def __init__(self, events_per_second: float, burst: int, strikes: int) -> None:
        self.events_per_second = events_per_second
        self.burst = burst
        self.strikes = strikes
        self._states: dict[str, AddressState] = {}

    def state(self, address: str) -> AddressState:
        """The address's budgets (made full on first sight)."""
        found = self._states.get(address)
        if found is None:
            if len(self._states) >= MAX_ADDRESSES:
                self._forget_idle()
            found = self._states[address] = AddressState(
                address,
                TokenBucket(self.events_per_second, self.burst),
                TokenBucket(ADDRESS_STRIKES_PER_SECOND, self.strikes),
            )
        return found

    def flooding(self, address: str) -> bool:
        """True while the address has no refusals left (it was cut off a moment ago)."""
        found = self._states.get(address)
        return found is not None and found.strikes.available() < 1

    def _forget_idle(self) -> None:
        full = [
            a
            for a, s in self._states.items()
            if s.events.available() >= s.events.burst and s.strikes.available() >= s.strikes.burst
        ]
        for address in full:
            del self._states[address]
        if len(self._states) >= MAX_ADDRESSES:  # all busy: bounded memory comes first
            self._states.clear()


class SharedCounters(Protocol):
    """Counters every web node sees (Redis), for throttles that must hold across nodes."""

    async def hit(self, key: str, window_s: int) -> int:
        """Count one more under ``key``; the count expires ``window_s`` after its first hit."""

    async def peek(self, keys: list[str]) -> list[int]:
        """The current counts of ``keys`` (0 for none)."""

    async def forget(self, key: str) -> None:
        """Drop the count of ``key``."""
