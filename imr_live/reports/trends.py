"""Figures over time for the program's charts: attendance per session, modules completed, graduations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from imr_live.curriculum import Curriculum, Plan
from imr_live.reports.client_report import ClientReport, client_report
from imr_live.reports.completion import DEFAULT_MIN_SHARE
from imr_live.reports.program import client_places
from imr_live.reports.records import SessionRecord
from imr_live.reports.scale import program_by_month, program_change
from imr_live.reports.session_plans import latest_of


@dataclass(frozen=True, slots=True)
class SessionAttendance:
    """Client attendance of one held session."""

    session_id: str
    scheduled_at: int
    title: str
    expected: int
    came: int

    @property
    def rate(self) -> float | None:
        """Share of expected clients who came, to three decimals."""
        return round(self.came / self.expected, 3) if self.expected else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "session_id": self.session_id,
            "scheduled_at": self.scheduled_at,
            "title": self.title,
            "expected": self.expected,
            "came": self.came,
            "rate": self.rate,
        }


def attendance_over_time(records: list[SessionRecord]) -> list[SessionAttendance]:
    """Each held session's client attendance, in the order they were scheduled."""
    out = []
    for r in sorted(records, key=lambda r: (r.session.scheduled_at, r.session.id)):
        if r.held:
            expected, came = client_places(r)
            out.append(
                SessionAttendance(
                    r.session.id, r.session.scheduled_at, r.session.title, expected, came
                )
            )
    return out


def client_reports(
    records: list[SessionRecord],
    curriculum: Curriculum | None = None,
    min_share: float = DEFAULT_MIN_SHARE,
    plans: Mapping[str, Plan] | None = None,
) -> list[ClientReport]:
    """The report of every client with a ``client_ref`` among ``records`` (by ref).

    Program figures on completion, graduation and the IMR Scales are read off
    these, so they always agree with each client's own report and certificates:
    give ``plans`` (session id -> the plan stored with it, ``session_plans.stored_plans``)
    and each client is measured against their latest session's stored plan, as there.
    """
    theirs: dict[str, list[SessionRecord]] = {}
    for record in records:
        for ref in sorted({i.client_ref for i in record.invites if i.client_ref and i.for_client}):
            theirs.setdefault(ref, []).append(record)
    return [
        client_report(
            ref, found, curriculum, latest_of([r.session for r in found], plans or {}), min_share
        )
        for ref, found in sorted(theirs.items())
    ]


def modules_completed(reports: list[ClientReport]) -> dict[str, int]:
    """Module id -> clients who completed it."""
    done = Counter(m for r in reports for m in r.progress.completed())
    return dict(sorted(done.items()))


def graduations(reports: list[ClientReport]) -> dict[str, int]:
    """Plan id -> clients who completed every module of it."""
    plans = (r.progress.plan_id for r in reports if r.progress.graduated)
    return dict(sorted(Counter(p for p in plans if p).items()))


def program_scale(reports: list[ClientReport]) -> dict[str, Any]:
    """The IMR Scales (published form) across clients: change per rater and scores by month."""
    return {
        "change": program_change({r.client_ref: r.scale for r in reports}),
        "by_month": program_by_month([e for r in reports for e in r.scale]),
    }
