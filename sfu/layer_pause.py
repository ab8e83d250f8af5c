"""Which simulcast layers of a publisher nobody receives, so its browser stops encoding them.

Updated from the budget loop (once a second), never per packet. A layer the
publisher was told to pause keeps its last measured rate in the forwarder, so
a leg may still choose it; the next update then sees a receiver and the
publisher is told to send it again.
"""

from __future__ import annotations

from sfu.downtrack import DownTrack
from sfu.layer_choice import ACTIVE_BPS

PAUSE_AFTER_S = 4.0
"""How long a measured layer must go unreceived before it is paused: a leg probing one
layer up for a second must not switch the publisher's encoders on and off, and the
layer's smoothed rate has settled by then (it is kept while paused)."""


class LayerPause:
    """The layers a publisher was told to pause: after `PAUSE_AFTER_S` unused, back at once."""

    def __init__(self) -> None:
        self.paused: frozenset[int] = frozenset()
        self._unused_since: dict[int, float] = {}

    def update(self, layer_bps: tuple[float, ...], legs: tuple[DownTrack, ...], now: float) -> bool:
        """Take the layers' rates and the legs at monotonic `now`; True when `paused` changed.

        A leg between layers needs both (the old until the new one's keyframe).
        A layer never measured is not paused: with no rate known no leg could
        choose it again (a browser sending one layer in a 1:1 session leaves the
        others at 0). With no leg flowing the publisher keeps what it was told.
        """
        wanted = {
            layer for leg in legs if not leg.paused for layer in (leg.layer, leg.target_layer)
        }
        if not wanted:
            return False
        measured = {i for i, bps in enumerate(layer_bps) if bps > ACTIVE_BPS}
        for layer in range(len(layer_bps)):
            if layer in wanted or layer not in measured:
                self._unused_since.pop(layer, None)
            else:
                self._unused_since.setdefault(layer, now)
        paused = frozenset(
            layer
            for layer, since in self._unused_since.items()
            if layer in self.paused or now - since >= PAUSE_AFTER_S
        )
        changed, self.paused = paused != self.paused, paused
        return changed
