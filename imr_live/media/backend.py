"""The media server as web nodes drive it: the SFU in this process, or workers over Redis."""

from __future__ import annotations

from typing import Any, Protocol


class MediaBackend(Protocol):
    """An SFU as the live channel drives it: in this process, or workers over Redis."""

    async def handle(
        self, room_id: str, participant_id: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply one signalling message; raises SfuError on bad input."""

    async def close_room(self, room_id: str) -> None:
        """Close a room and everything in it."""

    async def close(self) -> None:
        """Close every room and stop."""

    def stats(self) -> dict[str, Any]:
        """Counts for monitoring."""
