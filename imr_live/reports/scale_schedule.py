"""When each client's next IMR Scales rating is due, per version (clinician, client).

The first rating of a version is due at the client's first session (the first
they attended, else the first scheduled); each later one ``every_days`` after
the last rating of that version (``imr_scales_due_days``, default 90: every 3
months). A rating is ``due`` from that day, ``overdue`` once ``GRACE_DAYS`` have
passed without one, ``soon`` in the ``SOON_DAYS`` before, ``ok`` otherwise.
Clients with no session yet are not listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.domain.imr_scales import RATERS
from imr_live.reports.client_report import ATTENDED, WITHDRAWN, ClientReport
from imr_live.reports.scale import IMRS

DAY_US = 86_400 * 1_000_000
GRACE_DAYS = 14
SOON_DAYS = 14
ORDER = {"overdue": 0, "due": 1, "soon": 2, "ok": 3}


@dataclass(frozen=True, slots=True)
class ScaleDue:
    """One version's next rating for one client."""

    client_ref: str
    rater: str
    last_at: int | None
    """The last rating of this version (µs), None if never rated."""
    due_at: int
    status: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}


def status_of(due_at: int, now: int) -> str:
    """``ok``, ``soon``, ``due`` or ``overdue`` for a rating due at ``due_at``."""
    if now >= due_at + GRACE_DAYS * DAY_US:
        return "overdue"
    if now >= due_at:
        return "due"
    return "soon" if now >= due_at - SOON_DAYS * DAY_US else "ok"


def scales_due(
    report: ClientReport, now: int, every_days: int, rated_elsewhere: dict[str, int] | None = None
) -> list[ScaleDue]:
    """The client's next rating of each version (none when they have no session).

    ``rated_elsewhere``: rater -> the last rating's time in sessions the report does not
    cover (a colleague's; see ``ReportRecords.last_rated``).
    """
    live = [s for s in report.sessions if s.status != WITHDRAWN]
    attended = [s.scheduled_at for s in live if s.status == ATTENDED]
    first = min(attended or [s.scheduled_at for s in live], default=None)
    if first is None:
        return []
    out = []
    for rater in RATERS:
        rated = [e.at for e in report.scale if e.rater == rater and e.form == IMRS]
        if rated_elsewhere and rater in rated_elsewhere:
            rated.append(rated_elsewhere[rater])
        last = max(rated, default=None)
        due_at = first if last is None else last + every_days * DAY_US
        out.append(ScaleDue(report.client_ref, rater, last, due_at, status_of(due_at, now)))
    return out


def due_list(reports: list[ClientReport], now: int, every_days: int) -> list[ScaleDue]:
    """Every client's next ratings, most pressing first (overdue, due, soon, ok)."""
    found = [d for r in reports for d in scales_due(r, now, every_days)]
    return sorted(found, key=lambda d: (ORDER[d.status], d.due_at, d.client_ref, d.rater))
