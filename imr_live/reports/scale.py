"""IMR outcome scale ratings of one client over time (``scale.recorded`` events)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.store.session_log import LogEvent

RATERS = ("clinician", "client")
SCALE_COLUMNS = ["session_id", "at", "rater", "total", *(f"item_{n}" for n in range(1, 15))]
"""Columns of the scale CSV: one row per rating, one column per item."""


@dataclass(frozen=True, slots=True)
class ScaleEntry:
    """One rating: 14 items scored 1-5 by the clinician or by the client."""

    session_id: str
    at: int
    """When it was recorded, µs since the epoch."""
    rater: str
    """``clinician`` or ``client``."""
    items: tuple[int, ...]
    total: int
    """Sum of the items (14-70; higher is better)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "session_id": self.session_id,
            "at": self.at,
            "rater": self.rater,
            "items": list(self.items),
            "total": self.total,
        }

    def flat(self) -> dict[str, Any]:
        """One CSV row: the items spread into ``item_1`` .. ``item_14``."""
        row = {k: v for k, v in self.as_dict().items() if k != "items"}
        return row | {f"item_{n}": score for n, score in enumerate(self.items, start=1)}


def scale_entry(ev: LogEvent) -> ScaleEntry:
    """The rating a ``scale.recorded`` event holds."""
    d = ev.data
    return ScaleEntry(ev.session_id, ev.at, d["rater"], tuple(d["items"]), int(d["total"]))


def scale_change(entries: list[ScaleEntry]) -> dict[str, dict[str, int | None]]:
    """Per rater: number of ratings, first and latest total, and latest minus first."""
    out: dict[str, dict[str, int | None]] = {}
    for rater in RATERS:
        mine = sorted((e for e in entries if e.rater == rater), key=lambda e: e.at)
        first = mine[0].total if mine else None
        latest = mine[-1].total if mine else None
        change = latest - first if first is not None and latest is not None else None
        out[rater] = {"ratings": len(mine), "first": first, "latest": latest, "change": change}
    return out


def scale_by_session(entries: list[ScaleEntry]) -> list[dict[str, Any]]:
    """One row per session that has ratings: its first time and the latest total per rater."""
    rows: dict[str, dict[str, Any]] = {}
    for e in sorted(entries, key=lambda e: e.at):
        row = rows.setdefault(e.session_id, {"session_id": e.session_id, "at": e.at})
        row[e.rater] = e.total
    return [{"clinician": None, "client": None, **row} for row in rows.values()]
