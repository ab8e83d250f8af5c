"""The plan stored with a session at its creation.

A group session made from a script keeps the curriculum plan that holds it; one
made with a named plan keeps that one; a wrong plan, or a script outside the
named plan, is refused and no session is made. The stored copy is what the
API gives back later, with an audit row per view.
"""

from __future__ import annotations

from imr_live.reports.completion import choose_plan
from tests.live.harness import Server
from tests.reports.course import curriculum_of, one_module_plan


async def sessions_count(server: Server) -> int:
    rows = await server.services.db.fetch_values("SELECT COUNT(*) FROM sessions")
    return int(rows[0][0])


async def test_a_session_keeps_its_plan_from_creation(server: Server) -> None:
    dana = await server.staff("dana")
    curriculum = curriculum_of(server)
    ref = curriculum.modules[0].sessions[0].ref
    made = await dana.create_session(script_ref=ref)
    expected = choose_plan([ref], ["group"], curriculum)
    assert expected is not None and made["plan_id"] == expected.id
    status, plan = await dana.api("GET", f"/api/sessions/{made['id']}/plan")
    assert status == 200
    assert (plan["plan_id"], plan["title"], plan["chosen_by"]) == (
        expected.id,
        expected.title,
        "script",
    )
    assert plan["module_ids"] == list(expected.module_ids)
    assert plan["session_refs"] == list(expected.session_refs) and ref in plan["session_refs"]

    targeted = one_module_plan(server)
    made = await dana.create_session(
        format="individual", plan_id=targeted.id, script_ref=targeted.session_refs[1]
    )
    assert made["plan_id"] == targeted.id
    _, plan = await dana.api("GET", f"/api/sessions/{made['id']}/plan")
    assert (plan["chosen_by"], plan["variant"], plan["session_refs"]) == (
        "given",
        targeted.variant,
        list(targeted.session_refs),
    )

    before = await sessions_count(server)
    for bad in (
        {"plan_id": "no-such-plan"},
        {"plan_id": 7},
        {"plan_id": targeted.id, "script_ref": ref},  # a script outside the plan
    ):
        status, body = await dana.api(
            "POST", "/api/sessions", json={"title": "x", "format": "group", **bad}
        )
        assert (status, body["error"]["code"]) == (400, "invalid"), bad
    assert await sessions_count(server) == before  # nothing was made

    bare = await dana.create_session()
    assert bare["plan_id"] is None
    status, body = await dana.api("GET", f"/api/sessions/{bare['id']}/plan")
    assert (status, body["error"]["code"]) == (404, "not_found")
    rows = await server.services.db.fetch(
        "SELECT COUNT(*) AS n FROM audit_log WHERE action = ?", "view.session_plan"
    )
    assert int(rows[0]["n"]) == 3
