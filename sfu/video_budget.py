"""Publishers' video caps, so that what each subscriber receives stays within one budget."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sfu.participant import Participant


class VideoBudget:
    """Shares a subscriber's video budget among the videos it receives; a floor per publisher."""

    def __init__(self, budget_kbps: int, min_kbps: int) -> None:
        self._budget_bps = budget_kbps * 1000
        self._min_bps = min_kbps * 1000

    def cap_bps(self, participants: Sequence[Participant]) -> int:
        """Each publisher's cap: the budget shared by the videos one subscriber receives."""
        publishers = sum(1 for p in participants if "video" in p.forwarders)
        received = max(1, publishers - 1 if publishers == len(participants) else publishers)
        return max(self._budget_bps // received, self._min_bps)

    async def apply(self, participants: Sequence[Participant]) -> None:
        """Remind every video publisher of its cap (RTCP REMB)."""
        cap = self.cap_bps(participants)
        for participant in participants:
            forwarder = participant.forwarders.get("video")
            if forwarder is None:
                continue
            try:
                await forwarder.send_bitrate_cap(cap)
            except ConnectionError:
                pass  # not connected yet or already gone: the next round retries
