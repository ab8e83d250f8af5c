"""Program figures per clinician (or per group): volume, format mix, attendance, fidelity."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from imr_live.reports.places import expected_clients
from imr_live.reports.records import SessionRecord

FIDELITY: dict[str, frozenset[str]] = {
    "role_play": frozenset({"roleplay.started"}),
    "assignment_given": frozenset({"assignment.given"}),
    "assignment_review": frozenset({"assignment.reviewed"}),
    "goal_follow_up": frozenset({"goal.updated"}),
}
"""Fidelity signal -> event kinds whose presence in a held session shows it."""

GROUPINGS: dict[str, Callable[[SessionRecord], str]] = {
    "leader": lambda r: r.session.leader_id,
    "title": lambda r: r.session.title,
}
"""How rows are keyed: by leading clinician, or by session title (a standing group)."""


@dataclass(frozen=True, slots=True)
class ProgramRow:
    """Figures of one clinician or group (or the whole program)."""

    key: str
    label: str
    sessions_scheduled: int
    sessions_held: int
    formats: dict[str, int]
    """Format -> held sessions."""
    client_places: int
    """Clients expected over held sessions (people, not links: see ``places``)."""
    client_attendances: int
    """Of those, how many were in the room at all."""
    fidelity: dict[str, int]
    """Signal -> held sessions showing it."""

    def rate(self, count: int, of: int) -> float | None:
        """``count / of`` to three decimals; None when there is nothing to divide."""
        return round(count / of, 3) if of else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view with rates and shares."""
        shares = {k: self.rate(v, self.sessions_held) for k, v in self.fidelity.items()}
        return {
            "key": self.key,
            "label": self.label,
            "sessions_scheduled": self.sessions_scheduled,
            "sessions_held": self.sessions_held,
            "formats": self.formats,
            "client_places": self.client_places,
            "client_attendances": self.client_attendances,
            "attendance_rate": self.rate(self.client_attendances, self.client_places),
            "fidelity_sessions": self.fidelity,
            "fidelity_share": shares,
        }

    def flat(self) -> dict[str, Any]:
        """One CSV row: nested figures spread into columns."""
        d = self.as_dict()
        out = {k: v for k, v in d.items() if not isinstance(v, dict)}
        out.update({f"format_{k}": v for k, v in self.formats.items()})
        out.update({f"{k}_sessions": v for k, v in self.fidelity.items()})
        out.update({f"{k}_share": v for k, v in d["fidelity_share"].items()})
        return out


def program(
    records: list[SessionRecord], by: str = "leader", labels: Mapping[str, str] | None = None
) -> tuple[list[ProgramRow], ProgramRow]:
    """Rows per ``by`` key (sorted by label) and the total over all records."""
    grouped: dict[str, list[SessionRecord]] = defaultdict(list)
    for record in records:
        grouped[GROUPINGS[by](record)].append(record)
    names = labels or {}
    rows = [program_row(k, names.get(k, k), rs) for k, rs in grouped.items()]
    rows.sort(key=lambda r: (r.label, r.key))
    return rows, program_row("all", "Whole program", records)


def program_row(key: str, label: str, records: list[SessionRecord]) -> ProgramRow:
    """The figures of one set of sessions."""
    held = [r for r in records if r.held]
    places, came = 0, 0
    for record in held:
        p, c = client_places(record)
        places, came = places + p, came + c
    return ProgramRow(
        key,
        label,
        len(records),
        len(held),
        dict(Counter(r.session.format.value for r in held)),
        places,
        came,
        {name: sum(bool(kinds & r.kinds()) for r in held) for name, kinds in FIDELITY.items()},
    )


def client_places(record: SessionRecord) -> tuple[int, int]:
    """Clients expected in a session and how many of them came (see ``places``)."""
    places = expected_clients(record)
    return len(places), sum(places.values())
