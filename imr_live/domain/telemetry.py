"""What the live channel reports for monitoring: one method per domain event.

The domain and the edges call a ``Telemetry``; the Prometheus implementation
lives in one leaf module (``imr_live.edges.metrics``), so nothing else knows
which monitoring system is in use.
"""

from __future__ import annotations

from typing import Protocol


class Telemetry(Protocol):
    """Receives one call per monitored event of a web node."""

    def connection_opened(self) -> None:
        """A live-channel connection was authenticated."""

    def connection_closed(self) -> None:
        """An authenticated live-channel connection closed."""

    def event_acked(self, event: str, seconds: float, ok: bool) -> None:
        """A live event was acknowledged ``seconds`` after it arrived (``ok``: not refused)."""

    def log_appended(self, seconds: float) -> None:
        """An event was written durably to the session log in ``seconds``."""


class NoTelemetry:
    """The default: reports nowhere."""

    def connection_opened(self) -> None:
        """Nothing to do."""

    def connection_closed(self) -> None:
        """Nothing to do."""

    def event_acked(self, event: str, seconds: float, ok: bool) -> None:
        """Nothing to do."""

    def log_appended(self, seconds: float) -> None:
        """Nothing to do."""


NO_TELEMETRY: Telemetry = NoTelemetry()
"""The shared no-op telemetry."""
