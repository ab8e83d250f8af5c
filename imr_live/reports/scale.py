"""IMR Scales ratings of one client over time (``scale.recorded`` events).

Two forms are in logs. The published IMR Scales (``imrs``, see ``imr_scales``):
15 answers 1-5 or null ("does not apply" or not answered), scored as the mean
of the answered items, with who rated (``rated_by_role``). The old form
(``old``) written before it: 14 items of one generic 1-5 scale and their sum.
Old-form ratings are shown as such and never mixed into the published form's
scores, changes or gaps.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imr_live.domain.imr_scales import (
    ITEMS,
    RATERS,
    SUBSCALES,
    checked,
    mean_score,
    subscale_scores,
)
from imr_live.store.session_log import LogEvent

IMRS, OLD = "imrs", "old"
OLD_ITEMS = 14
SCALE_COLUMNS = [
    "session_id",
    "at",
    "rater",
    "form",
    "rated_by",
    "rated_by_role",
    "answered",
    "mean",
    "total",
    *(f"{name}_mean" for name in SUBSCALES),
    *(f"item_{n}" for n in range(1, len(ITEMS) + 1)),
]
"""Columns of the scale CSV: one row per rating, one column per item (empty: no answer)."""


@dataclass(frozen=True, slots=True)
class ScaleEntry:
    """One rating of a client, by their clinician or by themself."""

    session_id: str
    at: int
    """When it was recorded, µs since the epoch."""
    rater: str
    """``clinician`` or ``client``: which version of the scale."""
    form: str
    """``imrs`` (the published 15 items) or ``old`` (the earlier 14-item form)."""
    items: tuple[int | None, ...]
    """Answers in item order (None: does not apply, or not answered)."""
    rated_by: str
    """Participant id of whoever recorded it."""
    rated_by_role: str | None
    """Their role in the session (None in old-form events, which did not say)."""

    @property
    def answered(self) -> int:
        """Items answered."""
        return sum(a is not None for a in self.items)

    @property
    def mean(self) -> float | None:
        """Published form: mean of the answered items (1-5). None for the old form."""
        return mean_score(self.items) if self.form == IMRS else None

    @property
    def total(self) -> int | None:
        """Old form: the sum of its 14 items (14-70). None for the published form."""
        return sum(a or 0 for a in self.items) if self.form == OLD else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "session_id": self.session_id,
            "at": self.at,
            "rater": self.rater,
            "form": self.form,
            "items": list(self.items),
            "answered": self.answered,
            "mean": self.mean,
            "total": self.total,
            "subscales": subscale_scores(self.items) if self.form == IMRS else None,
            "rated_by": self.rated_by,
            "rated_by_role": self.rated_by_role,
        }

    def flat(self) -> dict[str, Any]:
        """One CSV row: the items spread into ``item_1`` .. ``item_15``."""
        row = {k: v for k, v in self.as_dict().items() if k not in ("items", "subscales")}
        subs = subscale_scores(self.items) if self.form == IMRS else {}
        for name in SUBSCALES:
            row[f"{name}_mean"] = subs[name]["mean"] if subs else None
        return row | {f"item_{n}": score for n, score in enumerate(self.items, start=1)}


def scale_entry(ev: LogEvent) -> ScaleEntry | None:
    """The rating a ``scale.recorded`` event holds (None when it is neither form)."""
    d = ev.data
    raw = d.get("items")
    if not isinstance(raw, list) or d.get("rater") not in RATERS:
        return None
    if len(raw) == OLD_ITEMS and all(isinstance(a, int) for a in raw):
        return ScaleEntry(ev.session_id, ev.at, d["rater"], OLD, tuple(raw), ev.actor, None)
    try:
        items = checked(raw)
    except ValueError:
        return None
    role = d.get("rated_by_role")
    return ScaleEntry(
        ev.session_id, ev.at, d["rater"], IMRS, items, ev.actor, str(role) if role else None
    )


def scale_change(entries: list[ScaleEntry]) -> dict[str, dict[str, float | int | None]]:
    """Per rater, published form only: ratings, first and latest mean, latest minus first."""
    out: dict[str, dict[str, float | int | None]] = {}
    for rater in RATERS:
        means = [e.mean for e in _of(entries, IMRS, rater) if e.mean is not None]
        first, latest = (means[0], means[-1]) if means else (None, None)
        change = round(latest - first, 2) if first is not None and latest is not None else None
        out[rater] = {"ratings": len(means), "first": first, "latest": latest, "change": change}
    return out


def old_form_change(entries: list[ScaleEntry]) -> dict[str, dict[str, int | None]]:
    """Per rater, old form only: ratings, first and latest total (14-70), latest minus first."""
    out: dict[str, dict[str, int | None]] = {}
    for rater in RATERS:
        totals = [e.total for e in _of(entries, OLD, rater) if e.total is not None]
        first, latest = (totals[0], totals[-1]) if totals else (None, None)
        change = latest - first if first is not None and latest is not None else None
        out[rater] = {"ratings": len(totals), "first": first, "latest": latest, "change": change}
    return out


def scale_gaps(entries: list[ScaleEntry]) -> list[dict[str, Any]]:
    """Per session with both versions of the published form: client minus clinician.

    The latest rating of each rater in the session is compared; ``items`` holds
    the gap per item (None where either left it unanswered).
    """
    by_session: dict[str, dict[str, ScaleEntry]] = defaultdict(dict)
    for e in sorted(entries, key=lambda e: e.at):
        if e.form == IMRS:
            by_session[e.session_id][e.rater] = e
    rows = []
    for sid, pair in by_session.items():
        client, clinician = pair.get("client"), pair.get("clinician")
        if client is None or clinician is None or client.mean is None or clinician.mean is None:
            continue
        items = [
            None if a is None or b is None else a - b
            for a, b in zip(client.items, clinician.items, strict=True)
        ]
        rows.append(
            {
                "session_id": sid,
                "at": max(client.at, clinician.at),
                "client": client.mean,
                "clinician": clinician.mean,
                "gap": round(client.mean - clinician.mean, 2),
                "items": items,
            }
        )
    return rows


def scale_by_session(entries: list[ScaleEntry]) -> list[dict[str, Any]]:
    """One row per session with ratings: its first time and the latest score per rater and form."""
    rows: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: e.at):
        row = rows.setdefault(e.session_id, {"session_id": e.session_id, "at": e.at})
        row[e.rater] = e.mean if e.form == IMRS else None
        if e.form == OLD:
            row[f"{e.rater}_old_total"] = e.total
    blank = {k: None for r in RATERS for k in (r, f"{r}_old_total")}
    return [blank | row for row in rows.values()]


def program_change(by_client: dict[str, list[ScaleEntry]]) -> dict[str, dict[str, Any]]:
    """Per rater over clients with two or more published-form ratings: average first, latest, change."""
    out: dict[str, dict[str, Any]] = {}
    for rater in RATERS:
        pairs = []
        for entries in by_client.values():
            change = scale_change(entries)[rater]
            if isinstance(change["ratings"], int) and change["ratings"] >= 2:
                pairs.append((float(change["first"] or 0), float(change["latest"] or 0)))
        n = len(pairs)
        out[rater] = {
            "clients": n,
            "first": round(sum(p[0] for p in pairs) / n, 2) if n else None,
            "latest": round(sum(p[1] for p in pairs) / n, 2) if n else None,
            "change": round(sum(p[1] - p[0] for p in pairs) / n, 2) if n else None,
        }
    return out


def program_by_month(entries: list[ScaleEntry]) -> list[dict[str, Any]]:
    """Per calendar month (UTC), published form: ratings and their average mean per rater."""
    months: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for e in entries:
        if e.form == IMRS and e.mean is not None:
            month = datetime.fromtimestamp(e.at / 1_000_000, UTC).strftime("%Y-%m")
            months[month][e.rater].append(e.mean)
    return [
        {"month": month}
        | {
            f"{r}_{k}": v
            for r in RATERS
            for k, v in (
                ("ratings", len(per[r])),
                ("mean", round(sum(per[r]) / len(per[r]), 2) if per[r] else None),
            )
        }
        for month, per in sorted(months.items())
    ]


def _of(entries: list[ScaleEntry], form: str, rater: str) -> list[ScaleEntry]:
    return sorted((e for e in entries if e.form == form and e.rater == rater), key=lambda e: e.at)


def latest_subscales(entries: list[ScaleEntry]) -> list[dict[str, Any]]:
    """Per rater, the subscales of their latest published-form rating (for the client page)."""
    out = []
    for rater in RATERS:
        mine = _of(entries, IMRS, rater)
        if mine:
            last = mine[-1]
            out.append({"rater": rater, "at": last.at, "subscales": subscale_scores(last.items)})
    return out
