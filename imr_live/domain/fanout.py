"""How the domain reaches people's connections, without knowing Socket.IO.

The edge implements this interface; the domain only says who should hear what.
"""

from __future__ import annotations

from typing import Any, Protocol


class Fanout(Protocol):
    """Delivery of live messages to the people of a session."""

    async def to_room(self, session_id: str, name: str, payload: dict[str, Any]) -> None:
        """Send to everyone admitted and present."""

    async def to_staff(self, session_id: str, name: str, payload: dict[str, Any]) -> None:
        """Send to leaders, co-leaders and supervisors present."""

    async def to_participant(
        self, session_id: str, participant_id: str, name: str, payload: dict[str, Any]
    ) -> None:
        """Send to every connection of one participant."""

    async def enter_room(self, session_id: str, participant_id: str, staff: bool) -> None:
        """Let a participant's connections hear the room (and staff messages if ``staff``)."""

    async def leave_room(self, session_id: str, participant_id: str) -> None:
        """Stop a participant's connections hearing the room."""

    async def disconnect(self, session_id: str, participant_id: str) -> None:
        """Close every connection of a participant."""


class MediaHooks(Protocol):
    """What the live channel asks of the media server (the SFU edge implements it)."""

    async def participant_gone(self, session_id: str, participant_id: str) -> None:
        """Close a participant's media (left, dropped, removed)."""

    async def set_recording(self, session_id: str, by: str, on: bool, allowed: list[str]) -> None:
        """Start or stop recording the participants in ``allowed`` (``by`` asked for it)."""

    async def server_mute(
        self, session_id: str, by: str, target: str, kind: str, muted: bool
    ) -> None:
        """Stop (or resume) forwarding one participant's audio or video."""

    async def session_ended(self, session_id: str) -> None:
        """Close the session's media room."""
