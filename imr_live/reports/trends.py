"""Figures over time for the program's charts: attendance per session, modules completed."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from imr_live.reports.certificates import completed_modules
from imr_live.reports.client_report import client_report
from imr_live.reports.program import client_places
from imr_live.reports.records import SessionRecord


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


def modules_completed(records: list[SessionRecord]) -> dict[str, int]:
    """Module -> clients (by ``client_ref``) who completed it, over these records."""
    refs = sorted({i.client_ref for r in records for i in r.invites if i.client_ref})
    counts: Counter[str] = Counter()
    for ref in refs:
        mine = [r for r in records if any(i.client_ref == ref for i in r.invites)]
        counts.update(completed_modules(client_report(ref, mine)))
    return dict(sorted(counts.items()))
