"""Whether a subscriber's link is weak, from the loss it reports on the videos it receives."""

from __future__ import annotations


class LinkQuality:
    """One subscriber's weak-link verdict: weak at once, good again only after a calm spell.

    Good again only after `clear_s` of reports under half the threshold (or at
    once in audio only), so that loss hovering around the threshold, or hidden
    for a report or two by NACK repair, does not flip the verdict every second.
    """

    def __init__(self, threshold: float, clear_s: float) -> None:
        self.weak = False
        """The current verdict."""
        self._threshold = threshold
        self._clear_s = clear_s
        self._calm_since: float | None = None

    def update(self, loss: float, audio_only: bool, now: float) -> bool:
        """Take one loss reading at monotonic time `now`; True when the verdict changed."""
        if not self.weak:
            weak = loss > self._threshold
        elif audio_only:
            weak = False
        elif loss > self._threshold / 2:
            self._calm_since = None
            weak = True
        else:
            if self._calm_since is None:
                self._calm_since = now
            weak = now - self._calm_since < self._clear_s
        if weak == self.weak:
            return False
        self.weak = weak
        self._calm_since = None
        return True
