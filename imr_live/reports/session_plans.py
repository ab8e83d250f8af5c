"""The plan stored with a session when it is created: the planned sequence of modules.

A session created with ``plan_id`` keeps that plan of the curriculum (its
script, if given, must be one of the plan's sessions); one created with only a
script keeps the plan that holds it (same format first, closed groups before
open ones). The stored copy (ids, order, variant) does not change when the
curriculum does later, so the record says what was planned at the time.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imr_live.curriculum import Curriculum, Plan
from imr_live.domain.clock import now_us
from imr_live.domain.sessions import Session
from imr_live.errors import InvalidInput, NotFound
from imr_live.reports.completion import choose_plan
from imr_live.store.database import Database, Row


@dataclass(frozen=True, slots=True)
class StoredPlan:
    """A session's plan as it was when the session was created."""

    session_id: str
    plan_id: str
    title: str
    variant: str | None
    module_ids: list[str]
    session_refs: list[str]
    chosen_by: str
    """``given`` (the creator named it) or ``script`` (the plan holding the session's script)."""
    stored_at: int

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__}

    def after(self, script_ref: str | None) -> str | None:
        """The plan's session after ``script_ref`` (None when it is the last or not in the plan)."""
        if script_ref not in self.session_refs:
            return None
        at = self.session_refs.index(script_ref) + 1
        return self.session_refs[at] if at < len(self.session_refs) else None


def plan_for(
    known: Curriculum | None, plan_id: object, script_ref: str | None, form: str
) -> tuple[Plan, str] | None:
    """The plan to store for a new session, and how it was chosen; InvalidInput if wrong."""
    if plan_id is None:
        if known is None or not script_ref:
            return None
        found = choose_plan([script_ref], [form], known)
        return (found, "script") if found else None
    if not isinstance(plan_id, str) or known is None:
        raise InvalidInput("plan_id: no such plan in the curriculum")
    try:
        plan = known.plan(plan_id[:100])
    except NotFound:
        raise InvalidInput("plan_id: no such plan in the curriculum") from None
    if script_ref and script_ref not in plan.session_refs:
        raise InvalidInput("script_ref: this session is not in the chosen plan")
    return plan, "given"


def chosen_plan(known: Curriculum | None, body: dict[str, Any]) -> tuple[Plan, str] | None:
    """``plan_for`` over a create-session request body (checked before the session is made)."""
    ref = body.get("script_ref")
    return plan_for(
        known,
        body.get("plan_id"),
        ref if isinstance(ref, str) else None,
        str(body.get("format", "")),
    )


async def store_plan(db: Database, session: Session, chosen: tuple[Plan, str] | None) -> None:
    """Keep the plan of a session just created (nothing without one)."""
    if chosen is None:
        return
    plan, how = chosen
    await db.execute(
        "INSERT INTO session_plans (session_id, plan_id, title, variant, module_ids,"
        " session_refs, chosen_by, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (session_id) DO NOTHING",
        session.id,
        plan.id,
        plan.title,
        plan.variant,
        json.dumps(list(plan.module_ids)),
        json.dumps(list(plan.session_refs)),
        how,
        now_us(),
    )


async def stored_plan(db: Database, session_id: str) -> StoredPlan | None:
    """The plan stored with a session, if any."""
    row = await db.fetchrow("SELECT * FROM session_plans WHERE session_id = ?", session_id)
    return None if row is None else _stored(row)


def _stored(row: Row) -> StoredPlan:
    return StoredPlan(
        row["session_id"],
        row["plan_id"],
        row["title"],
        row["variant"],
        json.loads(row["module_ids"]),
        json.loads(row["session_refs"]),
        row["chosen_by"],
        int(row["stored_at"]),
    )


def as_plan(stored: StoredPlan, known: Curriculum | None) -> Plan:
    """The stored copy as a curriculum ``Plan``: its modules and sessions as they were stored."""
    base = None
    if known is not None:
        try:
            base = known.plan(stored.plan_id)
        except NotFound:  # the curriculum no longer has it: the stored copy is all there is
            base = None
    modules, refs = list(stored.module_ids), list(stored.session_refs)
    if base is None:
        return Plan(
            stored.plan_id,
            stored.title,
            "combined",
            "",
            stored.variant,
            open_enrollment=False,
            entry_module=None,
            opening=None,
            module_ids=modules,
            session_refs=refs,
        )
    return replace(
        base, title=stored.title, variant=stored.variant, module_ids=modules, session_refs=refs
    )


async def stored_plans(
    db: Database, known: Curriculum | None, session_ids: Sequence[str]
) -> dict[str, Plan]:
    """Session id -> the plan stored with it (as a ``Plan``), for those of ``session_ids`` with one."""
    rows = await db.fetch_in(
        "SELECT * FROM session_plans WHERE session_id IN ({marks})", list(session_ids)
    )
    return {r["session_id"]: as_plan(_stored(r), known) for r in rows}


def latest_of(sessions: Iterable[Session], plans: Mapping[str, Plan]) -> Plan | None:
    """The plan of the most recent of ``sessions`` that has one in ``plans`` (None if none has)."""
    held = sorted(sessions, key=lambda s: (s.scheduled_at, s.id), reverse=True)
    return next((plans[s.id] for s in held if s.id in plans), None)


async def latest_plan(
    db: Database, known: Curriculum | None, sessions: Iterable[Session]
) -> Plan | None:
    """The plan stored with the most recent of ``sessions`` that has one (None if none has)."""
    found = list(sessions)
    return latest_of(found, await stored_plans(db, known, [s.id for s in found]))
