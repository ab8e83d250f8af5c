"""Certificates a client has earned: a module completed, a goal achieved, graduation.

Completion and graduation follow ``completion`` (every session of the module in
the client's plan attended long enough, or a clinician's logged mark).
Certificates name modules by title, never by slug, and name the program. Each
carries a verification code (see ``certificate_register``) bound to the logged
event that earned it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.errors import Conflict, InvalidInput, NotFound
from imr_live.reports.client_report import ATTENDED, ClientReport
from imr_live.reports.records import SessionRecord
from imr_live.reports.roster import roster_of
from imr_live.store.session_log import LogEvent

KINDS = ("module", "goal", "graduation")
PROGRAM = "Illness Management and Recovery"
EARNING_KINDS = frozenset({"session.ended", "module.completed"})
"""Events a module is completed at: the end of its last session, or a clinician's mark."""


def completed_modules(report: ClientReport) -> list[str]:
    """Ids of the modules the client completed, in plan order."""
    return report.progress.completed()


def planned_modules(report: ClientReport) -> list[str]:
    """Ids of the modules of the client's plan."""
    return [m.module for m in report.progress.modules]


def graduated(report: ClientReport) -> bool:
    """True when every module of the client's plan is completed."""
    return report.progress.graduated


@dataclass(frozen=True, slots=True)
class Evidence:
    """The logged event a certificate rests on: where it is in its session's hash chain."""

    session_id: str
    seq: int
    hash: str


@dataclass(frozen=True, slots=True)
class Certificate:
    """What one certificate says."""

    kind: str
    """``module``, ``goal`` or ``graduation``."""
    client_ref: str
    display_name: str
    """The name the client used in their latest attended session."""
    achievement: str
    """The module's title, the goal's words, or the plan's title."""
    items: tuple[str, ...]
    """For graduation: the titles of the modules completed, in plan order."""
    program: str
    """The program and plan it was earned in."""
    at: int
    """When it was earned, µs since the epoch."""
    leader: str
    """Username of the clinician who led the session where it was earned."""
    evidence: Evidence

    def shown(self) -> dict[str, Any]:
        """What the certificate shows (and what its code signs), JSON-ready."""
        return {
            "kind": self.kind,
            "display_name": self.display_name,
            "achievement": self.achievement,
            "items": list(self.items),
            "program": self.program,
            "at": self.at,
            "leader": self.leader,
        }

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return self.shown() | {"client_ref": self.client_ref}


def earned(
    kind: str,
    report: ClientReport,
    records: list[SessionRecord],
    usernames: dict[str, str],
    subject: str = "",
) -> Certificate:
    """The certificate of ``kind`` (for module or goal id ``subject``); Conflict if not earned."""
    if kind not in KINDS:
        raise InvalidInput(f"kind must be one of: {', '.join(KINDS)}")
    course = _Course(report, records, usernames)
    if kind == "module":
        return course.module(subject)
    if kind == "goal":
        return course.goal(subject)
    return course.graduation()


class _Course:
    """One client's sessions with the facts certificates need."""

    def __init__(
        self, report: ClientReport, records: list[SessionRecord], usernames: dict[str, str]
    ) -> None:
        self.report = report
        self.by_id = {r.session.id: r for r in records}
        self.usernames = usernames

    @property
    def program(self) -> str:
        """The program as certificates name it: IMR, and the plan when there is one."""
        plan = self.report.progress.plan_title
        return f"{PROGRAM}: {plan}" if plan else PROGRAM

    def module(self, module_id: str) -> Certificate:
        """The certificate of one completed module."""
        found = self.report.progress.module(module_id)
        if found is None:
            raise NotFound("this module is not in the client's plan")
        if not found.completed or found.session_id is None or found.at is None:
            raise Conflict("the client has not yet completed this module")
        ev = self._event(found.session_id, found.at)
        return self._certificate("module", found.title, (), ev)

    def goal(self, goal_id: str) -> Certificate:
        """The certificate of one achieved goal."""
        found = [g for g in self.report.goals if g.id == goal_id]
        if not found:
            raise NotFound("no such goal of this client")
        for record in self.by_id.values():
            for ev in record.events:
                d = ev.data
                if ev.kind == "goal.updated" and d.get("goal_id") == goal_id:
                    if d.get("status") == "achieved" and found[0].status == "achieved":
                        return self._certificate("goal", found[0].text, (), ev)
        raise Conflict("the goal is not achieved")

    def graduation(self) -> Certificate:
        """The certificate of every module of the client's plan completed."""
        progress = self.report.progress
        if progress.plan_id is None:
            raise Conflict("no plan of the curriculum holds this client's sessions")
        if not progress.graduated:
            raise Conflict("the client has not yet completed every module of their plan")
        last = max(progress.modules, key=lambda m: m.at or 0)
        ev = self._event(str(last.session_id), int(last.at or 0))
        titles = tuple(m.title for m in progress.modules)
        return self._certificate("graduation", str(progress.plan_title), titles, ev)

    def _event(self, session_id: str, at: int) -> LogEvent:
        """The logged event at ``at`` in a session: the end or the clinician's mark."""
        events = self.by_id[session_id].events
        return next(e for e in events if e.at == at and e.kind in EARNING_KINDS)

    def _certificate(
        self, kind: str, what: str, items: tuple[str, ...], ev: LogEvent
    ) -> Certificate:
        record = self.by_id[ev.session_id]
        leader = self.usernames.get(record.session.leader_id, record.session.leader_id)
        return Certificate(
            kind,
            self.report.client_ref,
            self._name(),
            what,
            items,
            self.program,
            ev.at,
            leader,
            Evidence(ev.session_id, ev.seq, ev.hash),
        )

    def _name(self) -> str:
        """The client's display name in the latest session they attended."""
        for s in reversed(self.report.sessions):
            if s.status == ATTENDED:
                record = self.by_id[s.session_id]
                names = roster_of(record.events)
                ref = self.report.client_ref
                ids = [i.id for i in record.invites if i.client_ref == ref and i.for_client]
                known = [names.names[i] for i in ids if i in names.names]
                if known:
                    return known[-1]
        return self.report.client_ref
