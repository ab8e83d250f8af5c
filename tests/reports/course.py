"""One client's whole (short) course over the live channel, for exports and certificates.

Eve (C-010) attends both sessions of one module. In session 1 her clinician
rates her IMR scale at 2 on every item (total 28) and she rates herself at 3
(42); a goal is noted. In session 2 the ratings are 3 (42) and 4 (56) and the
goal is achieved. Fay (C-011) is invited to session 2 only and never comes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.live.harness import Server, Staff
from tests.reports.scenario import come_in

EVE, FAY = "C-010", "C-011"
MODULE_RATINGS = [(2, 3), (3, 4)]
"""Per session: (clinician item score, client item score), every one of 14 items."""


@dataclass
class Course:
    """What the tests check against."""

    dana: Staff
    module: str
    sessions: list[dict[str, Any]] = field(default_factory=list)
    goal: str = ""


def one_module(server: Server) -> tuple[str, list[str]]:
    """A module key and its first two session refs."""
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    module = next(m for m in curriculum.modules if len(m.sessions) >= 2 and "/" not in m.id)
    return module.id, [s.ref for s in module.sessions[:2]]


async def run_course(server: Server) -> Course:
    """Hold both sessions of Eve's module."""
    dana = await server.staff("dana")
    module, refs = one_module(server)
    course = Course(dana, module)
    for n, ref in enumerate(refs):
        session = await dana.create_session(script_ref=ref, title=f"Module session {n + 1}")
        eve_token = await dana.invite(session["id"], "client", client_ref=EVE)
        if n == 1:
            await dana.invite(session["id"], "client", client_ref=FAY)
        leader = await dana.connect(session["id"])
        await leader.ok("join")
        eve, pid = await come_in(server, leader, eve_token, "Eve")
        clinician, own = MODULE_RATINGS[n]
        rating = {"participant": pid, "rater": "clinician", "items": [clinician] * 14}
        await leader.ok("scale.record", rating)
        await eve.ok("scale.record", {"participant": pid, "rater": "client", "items": [own] * 14})
        if n == 0:
            ack = await leader.ok("goal.note", {"participant": pid, "goal": "Join a choir"})
            course.goal = ack["goal_id"]
        else:
            update = {"participant": pid, "goal_id": course.goal, "status": "achieved"}
            await leader.ok("goal.update", update)
        await leader.ok("session.end")
        course.sessions.append(session)
    return course
