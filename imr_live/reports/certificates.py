"""Certificates a client has earned: a module completed, a goal achieved, graduation.

A module counts as completed when the client attended every session of it
they were invited to (at least one, none still to come; withdrawn invites do
not count). Graduation is every planned module completed, the planned modules
being those of all the sessions the client was invited to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.errors import Conflict, InvalidInput, NotFound
from imr_live.reports.client_report import ATTENDED, WITHDRAWN, ClientReport
from imr_live.reports.modules import NO_MODULE
from imr_live.reports.records import SessionRecord
from imr_live.reports.roster import roster_of

KINDS = ("module", "goal", "graduation")


def completed_modules(report: ClientReport) -> list[str]:
    """Modules the client completed: every session of theirs in it attended (withdrawn aside)."""
    modules: dict[str, bool] = {}
    for s in report.sessions:
        if s.status != WITHDRAWN and s.module != NO_MODULE:
            modules[s.module] = modules.get(s.module, True) and s.status == ATTENDED
    return sorted(m for m, done in modules.items() if done)


def planned_modules(report: ClientReport) -> list[str]:
    """Modules of every session the client was invited to (withdrawn invites aside)."""
    return sorted({s.module for s in report.sessions if s.status != WITHDRAWN} - {NO_MODULE})


def graduated(report: ClientReport) -> bool:
    """True when every planned module is completed."""
    planned = planned_modules(report)
    return bool(planned) and planned == completed_modules(report)


@dataclass(frozen=True, slots=True)
class Certificate:
    """What one certificate says."""

    kind: str
    """``module``, ``goal`` or ``graduation``."""
    client_ref: str
    display_name: str
    """The name the client used in their latest attended session."""
    achievement: str
    """The module, the goal's words, or the list of modules graduated from."""
    at: int
    """When it was earned, µs since the epoch."""
    leader: str
    """Username of the clinician who led the session where it was earned."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}


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

    def module(self, module: str) -> Certificate:
        """The certificate of one completed module."""
        mine = [s for s in self.report.sessions if s.module == module and s.status != WITHDRAWN]
        if not mine:
            raise NotFound("the client has no sessions in this module")
        if any(s.status != ATTENDED for s in mine):
            raise Conflict("the client has not yet attended every session of this module")
        return self._certificate("module", module, mine[-1].session_id)

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
                        return self._certificate("goal", found[0].text, record.session.id, ev.at)
        raise Conflict("the goal is not achieved")

    def graduation(self) -> Certificate:
        """The certificate of every planned module completed."""
        planned = planned_modules(self.report)
        if not planned:
            raise Conflict("the client has no planned modules")
        done = [self.module(m) for m in planned]
        last = max(done, key=lambda c: c.at)
        return Certificate(
            "graduation",
            self.report.client_ref,
            self._name(),
            ", ".join(planned),
            last.at,
            last.leader,
        )

    def _certificate(self, kind: str, what: str, session_id: str, at: int = 0) -> Certificate:
        record = self.by_id[session_id]
        when = at or max((e.at for e in record.events), default=record.session.scheduled_at)
        leader = self.usernames.get(record.session.leader_id, record.session.leader_id)
        return Certificate(kind, self.report.client_ref, self._name(), what, when, leader)

    def _name(self) -> str:
        """The client's display name in the latest session they attended."""
        for s in reversed(self.report.sessions):
            if s.status == ATTENDED:
                record = self.by_id[s.session_id]
                names = roster_of(record.events)
                ids = [i.id for i in record.invites if i.client_ref == self.report.client_ref]
                known = [names.names[i] for i in ids if i in names.names]
                if known:
                    return known[-1]
        return self.report.client_ref
