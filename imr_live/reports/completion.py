"""Honest module completion and graduation, per variant and per plan.

A module is completed when the client attended every session of it in their
plan, each for at least ``min_share`` of the time the session ran (default
half), or when a clinician marked it completed with a reason (a logged
``module.completed`` event). Graduation is every module of the plan completed.

The plan is the one asked for, else the curriculum's plan that holds every
session the client was invited to (of their sessions' format and not open
enrollment first: plans of one variant share their modules, so this choice
changes only the plan's name).
Without a plan, the modules are those of the client's sessions, each with all
its sessions in the curriculum, and nobody graduates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from imr_live.curriculum import Curriculum, Plan
from imr_live.reports.modules import module_sessions, module_title, place_of

DEFAULT_MIN_SHARE = 0.5
"""Share of a session a client must be present for it to count towards completion."""


@dataclass(frozen=True, slots=True)
class Attended:
    """One session a client attended long enough to count, or a clinician's mark."""

    session_id: str
    script_ref: str
    at: int
    """When it ended (µs since the epoch)."""


@dataclass(frozen=True, slots=True)
class Marked:
    """A clinician marked a module completed (``module.completed``)."""

    module: str
    """The module id, qualified by its variant."""
    reason: str
    session_id: str
    at: int


@dataclass(frozen=True, slots=True)
class ModuleProgress:
    """Where the client stands in one module of their plan."""

    module: str
    """Module id, ``<variant>/<key>`` in a variant."""
    title: str
    sessions: list[str]
    """Every session ref of the module in the plan."""
    attended: list[str]
    """Those the client attended long enough to count."""
    completed_by: str | None = None
    """``attendance``, ``clinician`` or None (not completed)."""
    reason: str | None = None
    """The clinician's reason, when they marked it."""
    session_id: str | None = None
    """The session where it was completed."""
    at: int | None = None
    """When it was completed, µs since the epoch."""

    @property
    def completed(self) -> bool:
        """True once completed by attendance or by a clinician's mark."""
        return self.completed_by is not None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__} | {"completed": self.completed}


@dataclass(frozen=True, slots=True)
class PlanProgress:
    """A client's progress through their plan."""

    plan_id: str | None
    """The plan's id (None when no plan holds the client's sessions)."""
    plan_title: str | None
    variant: str | None
    modules: list[ModuleProgress] = field(default_factory=list)

    @property
    def graduated(self) -> bool:
        """True when there is a plan and every module of it is completed."""
        return self.plan_id is not None and all(m.completed for m in self.modules)

    def completed(self) -> list[str]:
        """Ids of the completed modules, in plan order."""
        return [m.module for m in self.modules if m.completed]

    def module(self, module_id: str) -> ModuleProgress | None:
        """The progress of one module, if it is in the plan."""
        return next((m for m in self.modules if m.module == module_id), None)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "plan_id": self.plan_id,
            "plan_title": self.plan_title,
            "variant": self.variant,
            "graduated": self.graduated,
            "modules": [m.as_dict() for m in self.modules],
        }


def choose_plan(
    refs: Iterable[str], formats: Iterable[str], curriculum: Curriculum | None
) -> Plan | None:
    """The curriculum plan holding every one of ``refs``: its format matching, closed first."""
    wanted, kinds = set(refs), set(formats)
    if curriculum is None or not wanted:
        return None
    form = "combined" if len(kinds) > 1 else next(iter(kinds), "")
    fits = [p for p in curriculum.plans if wanted <= set(p.session_refs)]
    fits.sort(key=lambda p: (p.format != form, p.open_enrollment))
    return fits[0] if fits else None


def progress(
    plan: Plan | None,
    invited_refs: list[str],
    attended: list[Attended],
    marks: list[Marked],
    curriculum: Curriculum | None,
) -> PlanProgress:
    """The client's progress through ``plan`` (or through the modules of their sessions)."""
    if plan is not None:
        modules = [
            (plan.module_ref(k), _plan_refs(plan, plan.module_ref(k))) for k in plan.module_ids
        ]
    else:
        modules = _session_modules(invited_refs, curriculum)
    rows = [_module(m, refs, attended, marks, curriculum) for m, refs in modules]
    return PlanProgress(
        plan.id if plan else None,
        plan.title if plan else None,
        plan.variant if plan else None,
        rows,
    )


def _plan_refs(plan: Plan, module_id: str) -> list[str]:
    """The plan's sessions of one module."""
    return [r for r in plan.session_refs if r.rsplit("/", 1)[0] == module_id]


def _session_modules(refs: list[str], curriculum: Curriculum | None) -> list[tuple[str, list[str]]]:
    """Modules of the client's sessions, each with its sessions (all in the curriculum)."""
    out: dict[str, list[str]] = {}
    for ref in refs:
        place = place_of(ref, curriculum)
        if place is None:
            continue
        known = module_sessions(place.module_id, curriculum)
        mine = out.setdefault(place.module_id, list(known or []))
        if known is None and ref not in mine:
            mine.append(ref)
    return list(out.items())


def _module(
    module_id: str,
    refs: list[str],
    attended: list[Attended],
    marks: list[Marked],
    curriculum: Curriculum | None,
) -> ModuleProgress:
    firsts: dict[str, Attended] = {}
    for a in sorted(attended, key=lambda a: a.at):
        if a.script_ref in refs:
            firsts.setdefault(a.script_ref, a)
    row = ModuleProgress(module_id, module_title(module_id, curriculum), refs, sorted(firsts))
    mark = next((m for m in sorted(marks, key=lambda m: m.at) if m.module == module_id), None)
    if refs and len(firsts) == len(refs):
        last = max(firsts.values(), key=lambda a: a.at)
        if mark is None or last.at <= mark.at:
            return _done(row, "attendance", None, last.session_id, last.at)
    if mark is not None:
        return _done(row, "clinician", mark.reason, mark.session_id, mark.at)
    return row


def _done(
    row: ModuleProgress, by: str, reason: str | None, session_id: str, at: int
) -> ModuleProgress:
    return replace(row, completed_by=by, reason=reason, session_id=session_id, at=at)
