"""One client's course across sessions, joined by the opaque ``client_ref`` of their invites.

Only the client's own links count as the client: a supporter's link tagged
with the client's number shows that their supporter came, never that they did.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from imr_live.curriculum import Curriculum, Plan
from imr_live.reports.completion import (
    DEFAULT_MIN_SHARE,
    Attended,
    Marked,
    PlanProgress,
    choose_plan,
    progress,
)
from imr_live.reports.modules import NO_MODULE, place_of
from imr_live.reports.places import expected
from imr_live.reports.progress_notes import ProgressNote, progress_notes
from imr_live.reports.records import SessionRecord
from imr_live.reports.scale import (
    ScaleEntry,
    old_form_change,
    scale_change,
    scale_entry,
    scale_gaps,
)
from imr_live.store.session_log import LogEvent

ATTENDED, MISSED, PENDING, WITHDRAWN = "attended", "missed", "pending", "withdrawn"


@dataclass(frozen=True, slots=True)
class ClientSession:
    """The client's part in one session they were invited to."""

    session_id: str
    scheduled_at: int
    script_ref: str | None
    variant: str | None
    """The curriculum variant of the session's script (None: core)."""
    module: str
    """The module id, qualified by its variant (``simplified/coping-with-stress``)."""
    session_number: int | None
    """Which session of the module it was."""
    format: str
    """``individual`` or ``group``."""
    status: str
    """``attended``; ``missed`` (ended without them); ``pending`` (not over yet);
    ``withdrawn`` (no link of theirs could be used: turned off or expired before
    the start, made after the end, or its holder was turned away)."""
    present_s: int
    share: float
    """Time present as a share of how long the session ran (0-1, three decimals)."""
    counts: bool
    """Present long enough for the session to count towards completing its module."""
    late_s: int
    drops: int
    rejoins: int
    supporter_came: bool
    """A supporter linked to this client was in the room."""

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
    progress: PlanProgress
    """Modules of the client's plan, completed or not, and graduation."""
    notes: list[ProgressNote] = field(default_factory=list)
    """The client's progress note of each ended session (draft, signed or amended)."""

    def count(self, status: str) -> int:
        """Sessions with this status."""
        return sum(s.status == status for s in self.sessions)

    def modules(self) -> dict[str, int]:
        """Module id -> sessions attended in it (sessions without a script aside)."""
        attended = (s.module for s in self.sessions if s.status == ATTENDED)
        return dict(Counter(m for m in attended if m != NO_MODULE))

    def variants(self) -> dict[str, int]:
        """Variant (``core`` for none) -> sessions attended in it."""
        attended = [s for s in self.sessions if s.status == ATTENDED and s.module != NO_MODULE]
        return dict(Counter(s.variant or "core" for s in attended))

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
            "sessions_per_variant": self.variants(),
            "plan": self.progress.plan_id,
            "modules_planned": len(self.progress.modules),
            "modules_completed": self.progress.completed(),
            "graduated": self.progress.graduated,
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
            "scale_change_old_form": old_form_change(self.scale),
            "scale_gaps": scale_gaps(self.scale),
            "progress": self.progress.as_dict(),
            "progress_notes": [
                {"session_id": n.session_id, "status": n.status, "text": n.text} for n in self.notes
            ],
        }


def client_report(
    client_ref: str,
    records: list[SessionRecord],
    curriculum: Curriculum | None = None,
    plan: Plan | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
) -> ClientReport:
    """The report of ``client_ref`` over ``records`` (in the order they were held).

    ``plan`` is the client's plan when known; otherwise it is chosen from the
    curriculum (see ``completion``).
    """
    sessions: list[ClientSession] = []
    assignments: dict[str, Tracked] = {}
    goals: dict[str, Tracked] = {}
    scale: list[ScaleEntry] = []
    marks: list[Marked] = []
    done: list[Attended] = []
    notes: list[ProgressNote] = []
    for record in records:
        ids = {i.id for i in record.invites if i.client_ref == client_ref and i.for_client}
        mine = _client_session(record, client_ref, curriculum, min_share)
        sessions.append(mine)
        if mine.counts and mine.script_ref:
            ended = record.presence.ended_at or record.session.scheduled_at
            done.append(Attended(mine.session_id, mine.script_ref, ended))
        for ev in record.events:
            if ev.data.get("participant") in ids:
                _track(ev, assignments, goals)
        if record.ended and record.events:
            notes += [n for n in progress_notes(record, curriculum) if n.client == client_ref]
        for ev in record.kept():
            if ev.data.get("participant") not in ids:
                continue
            if ev.kind == "module.completed":
                marks.append(_mark(ev, record, curriculum))
            elif (entry := scale_entry(ev)) is not None:
                scale.append(entry)
    scale.sort(key=lambda e: e.at)
    live = [s for s in sessions if s.status != WITHDRAWN and s.script_ref]
    refs = [s.script_ref for s in live if s.script_ref]
    chosen = plan or choose_plan(refs, {s.format for s in live}, curriculum)
    return ClientReport(
        client_ref,
        sessions,
        list(assignments.values()),
        list(goals.values()),
        scale,
        progress(chosen, refs, done, marks, curriculum),
        notes,
    )


def _mark(ev: LogEvent, record: SessionRecord, curriculum: Curriculum | None) -> Marked:
    """A clinician's ``module.completed``; a bare module key is read in the session's variant."""
    module = str(ev.data.get("module", ""))
    place = place_of(record.session.script_ref, curriculum)
    if "/" not in module and place is not None and place.variant:
        module = f"{place.variant}/{module}"
    return Marked(module, str(ev.data.get("reason", "")), record.session.id, ev.at)


def _client_session(
    record: SessionRecord, client_ref: str, curriculum: Curriculum | None, min_share: float
) -> ClientSession:
    s, presence = record.session, record.presence
    by_id = {r.participant: r for r in presence.people}
    mine = [i for i in record.invites if i.client_ref == client_ref and i.for_client]
    rows = [by_id[i.id] for i in mine if i.id in by_id]
    came = any(r.attended for r in rows)
    wanted = any(expected(i, presence, by_id.get(i.id)) for i in mine)
    status = (
        ATTENDED
        if came
        else MISSED
        if wanted and record.ended
        else PENDING
        if wanted
        else WITHDRAWN
    )
    present = sum(r.present_us for r in rows)
    share = min(1.0, present / presence.length_us) if presence.length_us else 0.0
    supporters = {i.id for i in record.invites if i.client_ref == client_ref and not i.for_client}
    place = place_of(s.script_ref, curriculum)
    return ClientSession(
        s.id,
        s.scheduled_at,
        s.script_ref,
        place.variant if place else None,
        place.module_id if place else NO_MODULE,
        place.number if place else None,
        s.format.value,
        status,
        present // 1_000_000,
        round(share, 3),
        came and record.ended and share >= min_share,
        min((r.late_us for r in rows if r.attended), default=0) // 1_000_000,
        sum(r.drops for r in rows),
        sum(r.rejoins for r in rows),
        any(by_id[p].attended for p in supporters if p in by_id),
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
