"""How the domain reaches people's connections, without knowing Socket.IO.

The edge implements this interface; the domain only says who should hear what.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from imr_live.domain.event_data import JsonObject

if TYPE_CHECKING:
    from imr_live.domain.commands import MediaMessage
    from imr_live.domain.events import MediaAck


class Fanout(Protocol):
    """Delivery of live messages to the people of a session."""

    async def to_room(self, session_id: str, name: str, payload: JsonObject) -> None:
        """Send to everyone admitted and present."""

    async def to_staff(self, session_id: str, name: str, payload: JsonObject) -> None:
        """Send to leaders, co-leaders and supervisors present."""

    async def to_participant(
        self, session_id: str, participant_id: str, name: str, payload: JsonObject
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

    async def signal(self, session_id: str, participant_id: str, message: MediaMessage) -> MediaAck:
        """Carry one WebRTC signalling message of an admitted participant to the SFU."""

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

    async def stop_screen(self, session_id: str, participant_id: str) -> None:
        """Stop forwarding ``participant_id``'s screen share (none, or no media: nothing)."""

    async def set_group(self, session_id: str, by: str, members: list[str], group: str) -> None:
        """Forward ``members``' media only within ``group`` ("" is the whole room)."""

    async def set_captions(self, session_id: str, by: str, on: bool) -> None:
        """Turn the media room's captions on or off (its audio is decoded only while on)."""

    async def set_privacy(
        self,
        session_id: str,
        by: str,
        on: bool,
        voices: bool,
        open_ids: list[str],
        shown: list[str],
    ) -> None:
        """Private group mode: group members get only ``open_ids``' and ``shown``'s media
        (and each other's voices if ``voices``)."""
