"""Figures over time for the program's charts: attendance per session, modules completed."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from imr_live.domain.join_links import Invite
from imr_live.reports.modules import NO_MODULE, module_of
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
    """Module -> clients (by ``client_ref``) who completed it, over these records.

    The rule of ``certificates.completed_modules``, in one pass over the records.
    """
    done: dict[tuple[str, str], bool] = {}
    for r in records:
        module = module_of(r.session.script_ref)
        if module == NO_MODULE:
            continue
        came = {row.participant for row in r.presence.people if row.attended}
        invites: dict[str, list[Invite]] = defaultdict(list)
        for invite in r.invites:
            if invite.client_ref:
                invites[invite.client_ref].append(invite)
        for ref, theirs in invites.items():
            attended = any(i.id in came for i in theirs)
            if attended or not all(i.revoked for i in theirs):  # withdrawn invites aside
                done[ref, module] = done.get((ref, module), True) and attended
    return dict(sorted(Counter(module for (_ref, module), ok in done.items() if ok).items()))
