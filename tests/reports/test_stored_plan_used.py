"""The client report measures a client against the plan stored with their sessions.

Gus (C-020) is invited to a group session of Recovery Strategies made for the
open-enrollment group plan. Left to itself the curriculum would pick the
closed group plan for that script; the report, the page and My IMR use the
stored open-enrollment plan instead. ``?plan=`` still overrides it. A later
session stored with the combined plan makes that one his plan (the most recent
wins). A session whose stored plan is gone (made before plans were stored)
falls back to the curriculum's choice.
"""

from __future__ import annotations

import aiohttp

from imr_live.domain.clock import now_us
from imr_live.reports.completion import choose_plan
from tests.live.harness import Server, Staff
from tests.reports.course import curriculum_of
from tests.reports.scenario import come_in

GUS = "C-020"
DAY_US = 86_400 * 1_000_000


async def plan_of(dana: Staff, query: str = "") -> str | None:
    status, body = await dana.api("GET", f"/api/reports/clients/{GUS}{query}")
    assert status == 200, body
    return body["progress"]["plan_id"]  # type: ignore[no-any-return]


async def test_the_report_uses_the_stored_plan(any_server: Server) -> None:
    server = any_server
    dana = await server.staff("dana")
    curriculum = curriculum_of(server)
    opened = curriculum.plan("group-open-enrollment")
    ref = opened.session_refs[0]
    chosen = choose_plan([ref], ["group"], curriculum)
    assert chosen is not None and chosen.id != opened.id  # the curriculum alone picks another

    first = await dana.create_session(
        script_ref=ref, plan_id=opened.id, scheduled_at=now_us() - DAY_US
    )
    token = await dana.invite(first["id"], "client", client_ref=GUS)
    assert await plan_of(dana) == opened.id
    assert await plan_of(dana, f"?plan={chosen.id}") == chosen.id  # ?plan= still wins
    async with aiohttp.ClientSession(base_url=server.url) as http:
        async with http.post("/api/my-imr", json={"token": token}) as resp:
            mine = await resp.json()
    assert mine["plan_title"] == opened.title
    async with dana.http.get(f"/review/clients/{GUS}") as page:
        assert page.status == 200 and f"Plan: {opened.title}." in await page.text()

    combined = curriculum.plan("combined-standard")
    later = await dana.create_session(script_ref=ref, plan_id=combined.id)
    await dana.invite(later["id"], "client", client_ref=GUS)
    assert await plan_of(dana) == combined.id  # the most recent session's plan

    for sid in (first["id"], later["id"]):  # as if both were made before plans were stored
        await server.services.db.execute("DELETE FROM session_plans WHERE session_id = ?", sid)
    assert await plan_of(dana) == chosen.id


async def test_program_graduations_follow_the_stored_plan(server: Server) -> None:
    """Hal (C-021) finishes every module of his open-enrollment group's plan (marked by
    his clinician, who knows he did them elsewhere); the program page counts his graduation
    under that plan, as his own report does, not under the closed group plan."""
    dana = await server.staff("dana")
    curriculum = curriculum_of(server)
    opened = curriculum.plan("group-open-enrollment")
    closed = choose_plan([opened.session_refs[0]], ["group"], curriculum)
    assert closed is not None and closed.title != opened.title
    sid = (await dana.create_session(script_ref=opened.session_refs[0], plan_id=opened.id))["id"]
    token = await dana.invite(sid, "client", client_ref="C-021")
    leader = await dana.connect(sid)
    await leader.ok("join")
    _hal, pid = await come_in(server, leader, token, "Hal")
    for module in opened.module_ids:
        mark = {"participant": pid, "module": module, "reason": "Done with his last team"}
        await leader.ok("module.complete", mark)
    await leader.ok("session.end")

    _, report = await dana.api("GET", "/api/reports/clients/C-021")
    assert report["progress"]["graduated"] and report["progress"]["plan_id"] == opened.id
    async with dana.http.get("/review/program") as page:
        text = await page.text()
    table = text[
        text.index('id="graduations"') : text.index("</table>", text.index('id="graduations"'))
    ]
    assert opened.title in table and closed.title not in table
