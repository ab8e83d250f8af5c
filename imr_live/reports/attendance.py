"""Attendance of one session, per participant, from its log alone.

Presence runs from admission (``participant.admitted``, ``participant.rejoined``,
or ``participant.joined`` without waiting, as staff join) to the first of
``participant.left``, ``participant.dropped``, ``participant.removed`` or
``session.ended``. A session still live is measured up to its last logged event.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain.sessions import Session
from imr_live.reports.roster import Roster
from imr_live.store.session_log import LogEvent

US = 1_000_000
OPENS = frozenset({"participant.admitted", "participant.rejoined"})
CLOSES = frozenset({"participant.left", "participant.dropped", "participant.removed"})


@dataclass(frozen=True, slots=True)
class Attendance:
    """One participant's attendance of one session."""

    participant: str
    """Participant id (staff account id or invite id)."""
    role: str
    """In-session role."""
    display_name: str
    """Name as last set in the session."""
    client_ref: str | None
    """Opaque cross-session client key from the invite, if one was given; on a
    supporter's row, the client they support."""
    first_arrival: int | None
    """When they first joined (waiting room included), µs since the epoch."""
    first_admitted: int | None
    """When they first entered the room, µs since the epoch (None: never)."""
    present_us: int
    """Total time in the room, µs."""
    late_us: int
    """First arrival after the reference start, µs (0 when on time)."""
    drops: int
    """Connections lost (``participant.dropped``)."""
    rejoins: int
    """Returns after a drop or leave (``participant.rejoined``)."""
    left_early: bool
    """In the room at some point but not at ``session.ended``."""
    denied: bool = False
    """Turned away from the waiting room (``participant.denied``) and never let in."""

    @property
    def attended(self) -> bool:
        """True when they were in the room at all."""
        return self.first_admitted is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view with whole seconds and minutes to one decimal."""
        return {
            "participant": self.participant,
            "role": self.role,
            "display_name": self.display_name,
            "client_ref": self.client_ref,
            "attended": self.attended,
            "first_arrival": self.first_arrival,
            "first_admitted": self.first_admitted,
            "present_s": self.present_us // US,
            "present_min": round(self.present_us / US / 60, 1),
            "late_s": self.late_us // US,
            "late_min": round(self.late_us / US / 60, 1),
            "drops": self.drops,
            "rejoins": self.rejoins,
            "left_early": self.left_early,
            "denied": self.denied,
        }


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """Attendance of everyone who came to one session."""

    session_id: str
    scheduled_at: int
    """Planned start, µs."""
    started_at: int | None
    """``session.started`` time, µs (None: never started)."""
    ended_at: int | None
    """``session.ended`` time, µs (None: not ended)."""
    reference_start: int
    """The later of the planned start and the actual start: lateness counts from here."""
    people: list[Attendance]

    def clients(self) -> list[Attendance]:
        """Rows of people who came as clients."""
        return [p for p in self.people if p.role == "client"]

    @property
    def length_us(self) -> int:
        """How long the session ran, from its start to its end (0 until it ended)."""
        if self.started_at is None or self.ended_at is None:
            return 0
        return max(0, self.ended_at - self.started_at)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "session_id": self.session_id,
            "scheduled_at": self.scheduled_at,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "ongoing": self.started_at is not None and self.ended_at is None,
            "reference_start": self.reference_start,
            "people": [p.as_dict() for p in self.people],
        }


@dataclass
class _Presence:
    """Running tally for one participant while folding the log."""

    first_arrival: int | None = None
    first_admitted: int | None = None
    since: int | None = None
    present_us: int = 0
    drops: int = 0
    rejoins: int = 0

    def enter(self, at: int) -> None:
        if self.first_admitted is None:
            self.first_admitted = at
        if self.since is None:
            self.since = at

    def leave(self, at: int) -> None:
        if self.since is not None:
            self.present_us += max(0, at - self.since)
            self.since = None


@dataclass
class _Fold:
    """Folds a session's events into per-participant presence."""

    roster: Roster = field(default_factory=Roster)
    tally: dict[str, _Presence] = field(default_factory=dict)
    started_at: int | None = None
    ended_at: int | None = None
    present_at_end: set[str] = field(default_factory=set)
    denied: set[str] = field(default_factory=set)

    def apply(self, ev: LogEvent) -> None:
        self.roster.apply(ev)
        pid = ev.data.get("participant")
        if ev.kind == "session.started":
            self.started_at = ev.at
        elif ev.kind == "session.ended":
            self.end(ev.at)
            self.ended_at = ev.at
        elif ev.kind == "participant.joined":
            self._joined(ev, str(pid))
        elif ev.kind == "participant.denied":
            self.denied.add(str(pid))
        elif ev.kind in OPENS or ev.kind in CLOSES:
            self._move(ev, str(pid))

    def _joined(self, ev: LogEvent, pid: str) -> None:
        person = self.tally.setdefault(pid, _Presence())
        if person.first_arrival is None:
            person.first_arrival = ev.at
        if not ev.data.get("waiting", True):
            person.enter(ev.at)

    def _move(self, ev: LogEvent, pid: str) -> None:
        person = self.tally.setdefault(pid, _Presence())
        if ev.kind in OPENS:
            person.enter(ev.at)
            person.rejoins += ev.kind == "participant.rejoined"
            return
        person.leave(_closed_at(ev))
        person.drops += ev.kind == "participant.dropped"

    def end(self, at: int) -> None:
        """Close every open interval at ``at``."""
        for pid, person in self.tally.items():
            if person.since is not None:
                self.present_at_end.add(pid)
            person.leave(at)


def _closed_at(ev: LogEvent) -> int:
    """When presence ended: a drop recorded late (after an outage) says when it really closed."""
    closed = ev.data.get("closed_at")
    if ev.kind == "participant.dropped" and isinstance(closed, int) and closed <= ev.at:
        return closed
    return ev.at


def attendance(
    session: Session, events: list[LogEvent], client_refs: Mapping[str, str] | None = None
) -> SessionAttendance:
    """Attendance of ``session`` from its ``events`` (``client_refs``: invite id -> client_ref)."""
    fold = _Fold()
    for ev in events:
        fold.apply(ev)
    if fold.ended_at is None and events:
        fold.end(events[-1].at)
    reference = max(session.scheduled_at, fold.started_at or session.scheduled_at)
    rows = [_row(pid, p, fold, reference, client_refs or {}) for pid, p in fold.tally.items()]
    return SessionAttendance(
        session.id, session.scheduled_at, fold.started_at, fold.ended_at, reference, rows
    )


def _row(
    pid: str, p: _Presence, fold: _Fold, reference: int, refs: Mapping[str, str]
) -> Attendance:
    late = max(0, (p.first_arrival or reference) - reference)
    left_early = fold.ended_at is not None and p.first_admitted is not None
    return Attendance(
        participant=pid,
        role=fold.roster.roles.get(pid, "unknown"),
        display_name=fold.roster.name(pid),
        client_ref=refs.get(pid),
        first_arrival=p.first_arrival,
        first_admitted=p.first_admitted,
        present_us=p.present_us,
        late_us=late,
        drops=p.drops,
        rejoins=p.rejoins,
        left_early=left_early and pid not in fold.present_at_end,
        denied=pid in fold.denied and p.first_admitted is None,
    )
