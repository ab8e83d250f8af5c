"""Names of the Socket.IO rooms that carry a session's messages (web nodes and SFU workers)."""

from __future__ import annotations


def room(session_id: str) -> str:
    """Socket.IO room of everyone admitted to a session."""
    return f"s:{session_id}"


def staff_room(session_id: str) -> str:
    """Socket.IO room of a session's leaders, co-leaders and supervisors."""
    return f"st:{session_id}"


def person_room(session_id: str, participant_id: str) -> str:
    """Socket.IO room of one participant's connections."""
    return f"p:{session_id}:{participant_id}"
