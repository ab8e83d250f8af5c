"""Who is who in one session's log: roles and display names as the log states them."""

from __future__ import annotations

from dataclasses import dataclass, field

from imr_live.store.session_log import LogEvent

SYSTEM = "system"


@dataclass
class Roster:
    """Participant id -> role and current display name, folded from the log."""

    roles: dict[str, str] = field(default_factory=dict)
    """Participant id -> in-session role (``client``, ``leader``, ...)."""
    names: dict[str, str] = field(default_factory=dict)
    """Participant id -> display name as of the events applied so far."""

    def apply(self, event: LogEvent) -> None:
        """Take in a join or rename; other events change nobody's name."""
        if event.kind == "participant.joined":
            self.roles[event.data["participant"]] = event.data["role"]
            self.names[event.data["participant"]] = event.data["display_name"]
        elif event.kind == "participant.renamed":
            self.names[event.data["participant"]] = event.data["display_name"]

    def name(self, participant_id: str) -> str:
        """The display name, or a neutral stand-in for the server and unknown ids."""
        if participant_id == SYSTEM:
            return "The server"
        return self.names.get(participant_id, f"participant {participant_id}")


def roster_of(events: list[LogEvent]) -> Roster:
    """The roster after every event (final names)."""
    roster = Roster()
    for event in events:
        roster.apply(event)
    return roster
