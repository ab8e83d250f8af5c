"""Relapse-prevention and stress plans: written by the client's leads, every version kept.

Dana leads a group with Ann (C-001) and Ben (C-002). She writes Ann's plan to
stay well, then changes it; Sam (a clinician who does not lead Ann) cannot
write or read it; Sue (a supervisor) reads it but does not write it. The plan
shows in Ann's client report and goes out as a FHIR CarePlan. In the room Dana
opens Ann's plan with one request; for Ben there is none yet.
"""

from __future__ import annotations

from typing import Any

from fhir.resources.R4B.bundle import Bundle
from playwright.async_api import Browser, expect

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server
from tests.reports.scenario import come_in
from tests.reports.test_review_pages import signed_in
from tests.web.people import check_page

PLAN_1 = {
    "warning_signs": ["I stop sleeping well", "I skip meals"],
    "my_steps": ["Call my clinician", "Go to bed at ten"],
}
PLAN_2 = {**PLAN_1, "people_to_tell": ["My sister"], "triggers": ["Money worries"]}
STRESS = {"stressors": ["Crowded buses"], "coping_strategies": ["Slow breathing", "Music"]}


async def held(server: Server) -> dict[str, Any]:
    dana = await server.staff("dana")
    sid = (await dana.create_session())["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    ben_token = await dana.invite(sid, "client", client_ref="C-002")
    return {"dana": dana, "sid": sid, "ann": ann_token, "ben": ben_token}


async def test_plans_are_versioned_and_only_leads_write_them(any_server: Server) -> None:
    server = any_server
    h = await held(server)
    dana = h["dana"]
    base = "/api/clients/C-001/plans"
    status, v1 = await dana.api(
        "PUT", f"{base}/relapse_prevention", json={"content": PLAN_1, "base_version": 0}
    )
    assert (status, v1["version"], v1["content"]["warning_signs"]) == (
        200,
        1,
        PLAN_1["warning_signs"],
    )
    assert v1["content"]["people_to_tell"] == []  # every section is there, empty if unwritten
    change = {"content": PLAN_2, "base_version": 1, "note": "Added her sister"}
    status, v2 = await dana.api("PUT", f"{base}/relapse_prevention", json=change)
    assert (status, v2["version"]) == (200, 2)
    # A writer who started from version 1 would overwrite version 2 unseen: refused.
    stale = {"content": PLAN_1, "base_version": 1}
    status, body = await dana.api("PUT", f"{base}/relapse_prevention", json=stale)
    assert (status, body["error"]["code"]) == (409, "conflict")
    status, _ = await dana.api("PUT", f"{base}/stress_coping", json={"content": STRESS})
    assert status == 200
    # Bad input: a clear refusal that changes nothing.
    for bad in (
        {"content": {"nonsense": ["x"]}},
        {"content": {"my_steps": "not a list"}},
        {"content": {"my_steps": ["x" * 301]}},
        {"content": {"my_steps": [" "]}},
    ):
        status, body = await dana.api("PUT", f"{base}/relapse_prevention", json=bad)
        assert (status, body["error"]["code"]) == (400, "invalid"), bad
    assert (await dana.api("PUT", f"{base}/diet", json={"content": STRESS}))[0] == 400

    sam = await server.staff("sam")
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    assert (await sam.api("PUT", f"{base}/relapse_prevention", json={"content": PLAN_1}))[0] == 403
    assert (await sue.api("PUT", f"{base}/relapse_prevention", json={"content": PLAN_1}))[0] == 403
    assert (await sam.api("GET", base))[0] == 404

    status, body = await sue.api("GET", base)
    assert status == 200
    relapse = body["plans"]["relapse_prevention"]
    assert [v["version"] for v in relapse["versions"]] == [1, 2]
    assert relapse["versions"][0]["content"]["people_to_tell"] == []  # version 1 unchanged
    assert relapse["current"]["content"]["people_to_tell"] == ["My sister"]
    assert relapse["current"]["note"] == "Added her sister"
    assert relapse["current"]["written_by"] == dana.id
    assert body["plans"]["stress_coping"]["current"]["content"]["coping_strategies"] == [
        "Slow breathing",
        "Music",
    ]

    rows = await server.services.db.fetch(
        "SELECT account_id, action FROM audit_log WHERE target LIKE ? ORDER BY at, id",
        "client:C-001%",
    )
    pairs = [(r["account_id"], r["action"]) for r in rows]
    assert pairs.count((dana.id, "write.care_plan")) == 3 and (sue.id, "view.care_plans") in pairs


async def test_plans_in_the_client_report_fhir_and_the_room(server: Server) -> None:
    h = await held(server)
    dana, sid = h["dana"], h["sid"]
    await dana.api("PUT", "/api/clients/C-001/plans/relapse_prevention", json={"content": PLAN_1})
    await dana.api("PUT", "/api/clients/C-001/plans/relapse_prevention", json={"content": PLAN_2})

    _, report = await dana.api("GET", "/api/reports/clients/C-001")
    assert report["care_plans"]["relapse_prevention"]["current"]["version"] == 2
    assert report["care_plans"]["stress_coping"]["current"] is None

    async with dana.http.get("/api/clients/C-001/plans/fhir") as resp:
        assert resp.status == 200 and resp.content_type == "application/fhir+json"
        bundle = Bundle.model_validate_json(await resp.text())
    plans = [e.resource for e in bundle.entry if e.resource.get_resource_type() == "CarePlan"]
    assert len(plans) == 1
    plan = plans[0]
    assert (plan.meta.versionId, plan.status, plan.intent) == ("2", "active", "plan")
    entries = [a.detail.description for a in plan.activity]
    assert entries == ["Money worries", *PLAN_1["warning_signs"], *PLAN_1["my_steps"], "My sister"]
    assert plan.subject.reference == bundle.entry[0].fullUrl  # the Patient, by client_ref only
    async with dana.http.get("/api/reports/clients/C-001/fhir") as resp:  # the whole record
        whole = Bundle.model_validate_json(await resp.text())
    kinds = [e.resource.get_resource_type() for e in whole.entry]
    assert kinds.count("CarePlan") == 1 and kinds.count("Patient") == 1

    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann_pid = await come_in(server, leader, h["ann"], "Ann")
    _ben, ben_pid = await come_in(server, leader, h["ben"], "Ben")
    status, body = await dana.api("GET", f"/api/sessions/{sid}/participants/{ann_pid}/plan")
    assert status == 200
    (shown,) = body["plans"]
    assert shown["title"] == "My plan to stay well" and shown["version"] == 2
    steps = next(s for s in shown["sections"] if s["key"] == "my_steps")
    assert steps["entries"] == PLAN_1["my_steps"] and "written_by" not in shown
    status, body = await dana.api("GET", f"/api/sessions/{sid}/participants/{ben_pid}/plan")
    assert (status, body["plans"]) == (200, [])
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    assert (await sue.api("GET", f"/api/sessions/{sid}/participants/{ann_pid}/plan"))[0] == 403
    other = (await dana.create_session())["id"]
    assert (await dana.api("GET", f"/api/sessions/{other}/participants/{ann_pid}/plan"))[0] == 404
    rows = await server.services.db.fetch(
        "SELECT account_id FROM audit_log WHERE action = ? AND target = ?",
        "view.safety_plan",
        f"session:{sid}/participant:{ann_pid}",
    )
    assert [r["account_id"] for r in rows] == [dana.id]


async def test_a_lead_writes_and_changes_a_plan_on_the_client_page(
    server: Server, chromium: Browser
) -> None:
    h = await held(server)
    dana = h["dana"]
    page = await signed_in(chromium, server, dana)
    await page.goto("/review/clients/C-001")
    plan = page.locator(
        "section.care-plan", has=page.get_by_role("heading", name="Relapse prevention plan")
    )
    await expect(plan).to_contain_text("No plan written yet.")
    await plan.get_by_text("Write this plan").click()
    await plan.get_by_label("Early signs that I am getting unwell").fill(
        "I stop sleeping well\n\nI skip meals"
    )
    await plan.get_by_role("button", name="Save as a new version").click()
    await expect(plan.locator(".meta")).to_contain_text("Version 1")
    await plan.get_by_text("Change this plan").click()
    await plan.get_by_label("Who I will tell, and how they can help").fill("My sister")
    await plan.get_by_label("What changed").fill("Added her sister")
    await plan.get_by_role("button", name="Save as a new version").click()
    await expect(plan.locator(".meta")).to_contain_text("Version 2")
    await expect(plan.locator(".meta")).to_contain_text("1 earlier version kept")
    await expect(plan.locator("dd")).to_have_text(
        ["I stop sleeping well", "I skip meals", "My sister"]
    )
    await check_page(page, "review-client-plans")
    _, body = await dana.api("GET", "/api/clients/C-001/plans")
    versions = body["plans"]["relapse_prevention"]["versions"]
    assert [v["content"]["warning_signs"] for v in versions] == [
        ["I stop sleeping well", "I skip meals"]
    ] * 2
    assert [v["content"]["people_to_tell"] for v in versions] == [[], ["My sister"]]
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    page = await signed_in(chromium, server, sue)
    await page.goto("/review/clients/C-001")
    await expect(page.get_by_role("heading", name="Relapse prevention plan")).to_be_visible()
    assert await page.get_by_text("Change this plan").count() == 0  # supervisors read only
