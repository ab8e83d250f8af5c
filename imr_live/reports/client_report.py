"""One client's course across sessions, joined by the opaque ``client_ref`` of their invites."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from imr_live.reports.modules import module_of
from imr_live.reports.records import SessionRecord
from imr_live.reports.scale import ScaleEntry, scale_change, scale_entry
from imr_live.store.session_log import LogEvent

ATTENDED, MISSED, PENDING, WITHDRAWN = "attended", "missed", "pending", "withdrawn"


@dataclass(frozen=True, slots=True)
class ClientSession:
    """The client's part in one session they were invited to."""

    session_id: str
    scheduled_at: int
    script_ref: str | None
    module: str
    status: str
    """``attended``; ``missed`` (ended without them); ``pending`` (not over yet);
    ``withdrawn`` (their link was turned off and they never came)."""
    present_s: int
    late_s: int
    drops: int
    rejoins: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(frozen=True, slots=True)
class Tracked:
    """A home assignment or goal and where it stands now."""

    id: str
    session_id: str
    """The session it was given or noted in."""
    text: str
    status: str
    """Assignments: open, done, not_done. Goals: noted, in_progress, achieved, dropped."""
    at: int = 0
    """When it was given or noted (µs since the epoch)."""
    ref: str | None = None
    """Assignments: the script reference it came with, if any."""
    updated_in: str | None = None
    """The session of its last review (assignments) or update (goals), if any."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}


OPEN_GOALS = frozenset({"noted", "in_progress"})


@dataclass(frozen=True, slots=True)
class ClientReport:
    """Attendance, modules, assignments, goals and IMR scale ratings of one client."""

    client_ref: str
    sessions: list[ClientSession]
    assignments: list[Tracked]
    goals: list[Tracked]
    scale: list[ScaleEntry]
    """IMR outcome scale ratings, oldest first."""

    def count(self, status: str) -> int:
        """Sessions with this status."""
        return sum(s.status == status for s in self.sessions)

    def modules(self) -> dict[str, int]:
        """Module -> sessions attended in it."""
        return dict(Counter(s.module for s in self.sessions if s.status == ATTENDED))

    def figures(self) -> dict[str, Any]:
        """The headline numbers."""
        return {
            "sessions_invited": len(self.sessions),
            "sessions_attended": self.count(ATTENDED),
            "sessions_missed": self.count(MISSED),
            "sessions_pending": self.count(PENDING),
            "sessions_withdrawn": self.count(WITHDRAWN),
            "modules_covered": sorted(self.modules()),
            "sessions_per_module": self.modules(),
            "assignments_given": len(self.assignments),
            "assignments_done": sum(a.status == "done" for a in self.assignments),
            "goals_set": len(self.goals),
            "goals_achieved": sum(g.status == "achieved" for g in self.goals),
        }

    def to_follow_up(self, session_id: str) -> tuple[list[Tracked], list[Tracked]]:
        """What a session should follow up from the client's other sessions.

        Home practice not yet reviewed as done and goals neither achieved nor
        dropped, leaving out what this session already reviewed or updated.
        """
        earlier = [
            a
            for a in self.assignments
            if a.session_id != session_id and a.status != "done" and a.updated_in != session_id
        ]
        goals = [
            g
            for g in self.goals
            if g.session_id != session_id and g.status in OPEN_GOALS and g.updated_in != session_id
        ]
        return earlier, goals

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "client_ref": self.client_ref,
            "figures": self.figures(),
            "sessions": [s.as_dict() for s in self.sessions],
            "assignments": [a.as_dict() for a in self.assignments],
            "goals": [g.as_dict() for g in self.goals],
            "scale": [e.as_dict() for e in self.scale],
            "scale_change": scale_change(self.scale),
        }


def client_report(client_ref: str, records: list[SessionRecord]) -> ClientReport:
    """The report of ``client_ref`` over ``records`` (in the order they were held)."""
    sessions: list[ClientSession] = []
    assignments: dict[str, Tracked] = {}
    goals: dict[str, Tracked] = {}
    scale: list[ScaleEntry] = []
    for record in records:
        mine = [i for i in record.invites if i.client_ref == client_ref]
        ids = {i.id for i in mine}
        sessions.append(_client_session(record, ids, all(i.revoked for i in mine)))
        for ev in record.events:
            if ev.data.get("participant") in ids:
                _track(ev, assignments, goals)
                if ev.kind == "scale.recorded":
                    scale.append(scale_entry(ev))
    scale.sort(key=lambda e: e.at)
    return ClientReport(
        client_ref, sessions, list(assignments.values()), list(goals.values()), scale
    )


def _client_session(record: SessionRecord, ids: set[str], withdrawn: bool) -> ClientSession:
    s = record.session
    rows = [r for r in record.presence.people if r.participant in ids]
    came = any(r.attended for r in rows)
    status = ATTENDED if came else WITHDRAWN if withdrawn else MISSED if record.ended else PENDING
    return ClientSession(
        s.id,
        s.scheduled_at,
        s.script_ref,
        module_of(s.script_ref),
        status,
        sum(r.present_us for r in rows) // 1_000_000,
        min((r.late_us for r in rows if r.attended), default=0) // 1_000_000,
        sum(r.drops for r in rows),
        sum(r.rejoins for r in rows),
    )


def _track(ev: LogEvent, assignments: dict[str, Tracked], goals: dict[str, Tracked]) -> None:
    d, sid = ev.data, ev.session_id
    if ev.kind == "assignment.given":
        aid = d["assignment_id"]
        assignments[aid] = Tracked(aid, sid, d["text"], "open", ev.at, d.get("ref"))
    elif ev.kind == "assignment.reviewed" and d["assignment_id"] in assignments:
        status = "done" if d["done"] else "not_done"
        found = assignments[d["assignment_id"]]
        assignments[d["assignment_id"]] = replace(found, status=status, updated_in=sid)
    elif ev.kind == "goal.noted":
        goals[d["goal_id"]] = Tracked(d["goal_id"], sid, d["goal"], "noted", ev.at)
    elif ev.kind == "goal.updated" and d["goal_id"] in goals:
        goals[d["goal_id"]] = replace(goals[d["goal_id"]], status=d["status"], updated_in=sid)
