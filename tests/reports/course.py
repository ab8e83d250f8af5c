"""One client's whole (short) course over the live channel, for exports and certificates.

Eve (C-010) follows a one-module plan of the targeted variant (urgent need:
distressing symptoms) and attends both its sessions, in the room for most of
each. In session 1 her clinician rates her IMR scale at 2 on every item (total 28) and she
rates herself at 3 (42); a goal is noted. In session 2 the ratings are 3 (42)
and 4 (56) and the goal is achieved. So she completes the module and graduates
from the plan. Fay (C-011) is invited to session 2 only and never comes.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from imr_live.curriculum import Curriculum, Plan
from imr_live.reports.modules import module_title
from tests.live.harness import Server, Staff
from tests.reports.scenario import come_in

EVE, FAY = "C-010", "C-011"
CLINICIAN_RATINGS = [[2] * 12 + [None, 2, 2], [3] * 12 + [4, 3, 3]]
"""Per session, the clinician's IMR Scales answers (item 13, medicine, may not apply)."""
CLIENT_RATINGS = [[3] * 12 + [None, 5, 5], [4] * 15]
"""Per session, Eve's own IMR Scales answers."""
STAY_S = 0.6
"""How long Eve stays at least before the leader ends each session (most of it: it counts)."""


@dataclass
class Course:
    """What the tests check against."""

    dana: Staff
    plan: Plan
    module: str
    """The module id (``targeted/distressing-symptoms``)."""
    title: str
    """The module's title as certificates print it."""
    sessions: list[dict[str, Any]] = field(default_factory=list)
    goal: str = ""


def curriculum_of(server: Server) -> Curriculum:
    """The curriculum the server runs."""
    return server.services.scripts.curriculum  # type: ignore[union-attr,no-any-return]


def one_module_plan(server: Server) -> Plan:
    """A plan of the curriculum made of one module of two sessions (a targeted one)."""
    return next(
        p
        for p in curriculum_of(server).plans
        if len(p.module_ids) == 1 and len(p.session_refs) == 2
    )


def one_module(server: Server) -> tuple[str, list[str]]:
    """A core module key and its first two session refs."""
    module = next(m for m in curriculum_of(server).modules if len(m.sessions) >= 2)
    return module.id, [s.ref for s in module.sessions[:2]]


def one_session_module(server: Server) -> tuple[str, str]:
    """The id and only session ref of a module that has a single session (a simplified one)."""
    curriculum = curriculum_of(server)
    every = [m for v in curriculum.variants for m in v.modules]
    module = next(m for m in curriculum.modules + every if len(m.sessions) == 1)
    return module.id, module.sessions[0].ref


async def run_course(server: Server) -> Course:
    """Hold both sessions of Eve's module."""
    dana = await server.staff("dana")
    plan = one_module_plan(server)
    module = plan.module_ref(plan.module_ids[0])
    title = module_title(module, curriculum_of(server))
    course = Course(dana, plan, module, title)
    for n, ref in enumerate(plan.session_refs):
        session = await dana.create_session(
            script_ref=ref, title=f"Module session {n + 1}", format="individual"
        )
        eve_token = await dana.invite(session["id"], "client", client_ref=EVE)
        if n == 1:
            await dana.invite(session["id"], "client", client_ref=FAY)
        leader = await dana.connect(session["id"])
        started = time.monotonic()
        await leader.ok("join")
        eve, pid = await come_in(server, leader, eve_token, "Eve")
        before_her = time.monotonic() - started
        rating = {"participant": pid, "rater": "clinician", "items": CLINICIAN_RATINGS[n]}
        await leader.ok("scale.record", rating)
        own = {"participant": pid, "rater": "client", "items": CLIENT_RATINGS[n]}
        await eve.ok("scale.record", own)
        if n == 0:
            ack = await leader.ok("goal.note", {"participant": pid, "goal": "Join a choir"})
            course.goal = ack["goal_id"]
        else:
            update = {"participant": pid, "goal_id": course.goal, "status": "achieved"}
            await leader.ok("goal.update", update)
        # Most of the session, however long her coming in took (on a busy CI machine the
        # admit took longer than STAY_S, and the session did not count for her).
        await asyncio.sleep(max(STAY_S, 2 * before_her))
        await leader.ok("session.end")
        course.sessions.append(session)
    return course
