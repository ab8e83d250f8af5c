"""Open-enrollment joins per group: which clients first came to a group, when, at which module.

IMR groups take new members at any time, who start at the module the group is
on. A group is a set of sessions sharing a title (the program report's
``by=title``). Its held sessions are numbered 1, 2, ... in planned order. A
client (by ``client_ref``) joins a group at the first of its held sessions in
which they were in the room; a join at the group's first held session makes a
founding member, any later one is an open-enrollment join.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imr_live.curriculum import Curriculum
from imr_live.curriculum.plans import ENTRY_MODULE
from imr_live.reports.modules import module_of, module_title, place_of
from imr_live.reports.records import SessionRecord

JOIN_COLUMNS = [
    "group",
    "client_ref",
    "joined_at",
    "month",
    "session_id",
    "session_number",
    "module",
    "script_ref",
    "open_enrollment",
    "missed",
    "entry_first",
]
MONTH_COLUMNS = ["group", "month", "open_enrollment_joins"]


@dataclass(frozen=True, slots=True)
class Join:
    """One client's first time in the room of one group."""

    group: str
    client_ref: str
    joined_at: int
    """When they first entered the room of this group, µs since the epoch."""
    session_id: str
    session_number: int
    """Which held session of the group it was (1 = the group's first)."""
    script_ref: str | None
    module: str
    missed: tuple[str, ...] = ()
    """The group's sessions held before the join, as "Module title, session n" (open enrollment)."""
    entry_first: bool = False
    """Joined at a module other than the entry module (Recovery Strategies) without having
    attended it in any session read: the leader is warned (never a block)."""

    @property
    def warning(self) -> str | None:
        """What the leader should know about this join, in words (None: nothing)."""
        parts = []
        if self.entry_first:
            parts.append("has not done Recovery Strategies yet")
        if self.missed:
            parts.append(f"missed: {'; '.join(self.missed)}")
        return f"{self.client_ref} {', '.join(parts)}." if parts else None

    @property
    def open_enrollment(self) -> bool:
        """True when the group had already met without them."""
        return self.session_number > 1

    @property
    def month(self) -> str:
        """The calendar month of the join (UTC), ``2026-11``."""
        return datetime.fromtimestamp(self.joined_at / 1_000_000, UTC).strftime("%Y-%m")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (also one CSV row, in ``JOIN_COLUMNS`` order), with the warning."""
        row = {k: getattr(self, k) for k in JOIN_COLUMNS}
        return row | {"missed": list(self.missed), "warning": self.warning}

    def flat(self) -> dict[str, Any]:
        """One CSV row: what they missed as one ``; ``-separated cell."""
        return self.as_dict() | {"missed": "; ".join(self.missed)}


@dataclass(frozen=True, slots=True)
class GroupJoins:
    """Every client's join of one group."""

    group: str
    sessions_held: int
    joins: list[Join]
    """In the order they joined."""

    @property
    def founding_members(self) -> int:
        """Clients who were there at the group's first held session."""
        return sum(not j.open_enrollment for j in self.joins)

    @property
    def open_enrollment_joins(self) -> int:
        """Clients who joined after the group's first held session."""
        return sum(j.open_enrollment for j in self.joins)

    def per_month(self) -> dict[str, int]:
        """Month -> open-enrollment joins in it, oldest month first."""
        return dict(sorted(Counter(j.month for j in self.joins if j.open_enrollment).items()))

    def per_module(self) -> dict[str, int]:
        """Module -> open-enrollment joins at it."""
        return dict(sorted(Counter(j.module for j in self.joins if j.open_enrollment).items()))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "group": self.group,
            "sessions_held": self.sessions_held,
            "founding_members": self.founding_members,
            "open_enrollment_joins": self.open_enrollment_joins,
            "per_month": self.per_month(),
            "per_module": self.per_module(),
            "joins": [j.as_dict() for j in self.joins],
        }


def group_joins(
    records: list[SessionRecord], curriculum: Curriculum | None = None
) -> list[GroupJoins]:
    """Joins of every group among ``records``, groups sorted by title.

    With the curriculum, open-enrollment joins list what the newcomer missed and
    whether they still need the entry module (Recovery Strategies) first.
    """
    grouped: dict[str, list[SessionRecord]] = defaultdict(list)
    for record in records:
        grouped[record.session.title].append(record)
    entry = _entry_times(records, curriculum)
    return [_of_group(title, grouped[title], curriculum, entry) for title in sorted(grouped)]


def _entry_times(records: list[SessionRecord], curriculum: Curriculum | None) -> dict[str, int]:
    """Client -> when they first came to a session of an entry module (any variant)."""
    first: dict[str, int] = {}
    if curriculum is None:
        return first
    for record in records:
        place = place_of(record.session.script_ref, curriculum)
        if place is None or place.module_key != ENTRY_MODULE:
            continue
        refs = record.client_refs()
        for row in record.presence.clients():
            ref = refs.get(row.participant)
            if ref and row.first_admitted is not None:
                first[ref] = min(first.get(ref, row.first_admitted), row.first_admitted)
    return first


def _label(record: SessionRecord, curriculum: Curriculum | None) -> str:
    place = place_of(record.session.script_ref, curriculum)
    if place is None:
        return f"a session without a script ({record.session.id})"
    title = module_title(place.module_id, curriculum)
    return f"{title}, session {place.number}" if place.number else title


def _of_group(
    title: str,
    records: list[SessionRecord],
    curriculum: Curriculum | None = None,
    entry: dict[str, int] | None = None,
) -> GroupJoins:
    held = sorted(
        (r for r in records if r.held), key=lambda r: (r.session.scheduled_at, r.session.id)
    )
    joins: dict[str, Join] = {}
    for number, record in enumerate(held, start=1):
        refs = record.client_refs()
        first_in: dict[str, int] = {}
        for row in record.presence.clients():
            ref = refs.get(row.participant)
            if ref and ref not in joins and row.first_admitted is not None:
                first_in[ref] = min(first_in.get(ref, row.first_admitted), row.first_admitted)
        s = record.session
        place = place_of(s.script_ref, curriculum)
        missed = tuple(_label(r, curriculum) for r in held[: number - 1])
        for ref, at in sorted(first_in.items(), key=lambda kv: (kv[1], kv[0])):
            before_entry = (
                curriculum is not None
                and place is not None
                and place.module_key != ENTRY_MODULE
                and (entry or {}).get(ref, at + 1) > at
            )
            joins[ref] = Join(
                title,
                ref,
                at,
                s.id,
                number,
                s.script_ref,
                module_of(s.script_ref),
                missed,
                bool(before_entry and number > 1),
            )
    return GroupJoins(title, len(held), list(joins.values()))


def months_total(groups: list[GroupJoins]) -> dict[str, int]:
    """Month -> open-enrollment joins over every group."""
    total: Counter[str] = Counter()
    for g in groups:
        total.update(g.per_month())
    return dict(sorted(total.items()))


def month_rows(groups: list[GroupJoins]) -> list[dict[str, Any]]:
    """One row per group and month with open-enrollment joins (the per-month CSV)."""
    return [
        {"group": g.group, "month": month, "open_enrollment_joins": n}
        for g in groups
        for month, n in g.per_month().items()
    ]
