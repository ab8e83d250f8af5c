"""Fidelity: a supervisor rates sessions on the IT-IS and the program on the IMR Fidelity Scale.

Dana leads a group held live (slides, a role play, home practice, a goal, Ann's
supporter in the room). Sue, a supervisor, sees that evidence from the log
beside the form and rates the session; Dana cannot rate. An individual session
refuses the group-only items. Sue rates the program; the report gives the
ratings per clinician and month, the CSV export one column per item, and
every rating and view is audited.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from playwright.async_api import Browser, expect

from imr_live.domain.fidelity import ITIS_ITEMS, PROGRAM_ITEMS
from imr_live.domain.roles import StaffRole
from tests.live.harness import Server
from tests.live.test_whole_session import first_script
from tests.reports.scenario import come_in
from tests.reports.test_review_pages import signed_in
from tests.web.people import check_page

GROUP_SCORES = [4, 5, 4, 3, 5, 4, 3, 4, 2, 4, 5, 3, 3, 2, 4, None]
"""Item 16 left empty (optional); mean of the other 15: 55 / 15 = 3.67."""
INDIVIDUAL_SCORES = [None, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, None, None]
PROGRAM_SCORES = [5, 4, 4, 5, 3, 4, 4, 3, 4, 4, 3, 3, 2]
"""Mean 48 / 13 = 3.69."""


async def test_supervisor_rates_fidelity_with_the_log_as_evidence(server: Server) -> None:
    dana = await server.staff("dana")
    ref, _slides, role_play = first_script(server)
    sid = (await dana.create_session(script_ref=ref))["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    helper = await dana.invite(sid, "supporter", client_ref="C-001")
    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, ann_token, "Ann")
    await come_in(server, leader, helper, "Rosa")
    await leader.ok("slide.show", {"index": 0})
    await leader.ok("slide.show", {"index": 1})
    await leader.ok("roleplay.start", {"role_play_id": role_play, "cast": {"client": ann}})
    await leader.ok("roleplay.end")
    await leader.ok("assignment.give", {"participant": ann, "text": "Walk 10 minutes a day"})
    await leader.ok("goal.note", {"participant": ann, "goal": "Get back to work"})
    await leader.ok("session.end")

    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    status, body = await sue.api("GET", f"/api/sessions/{sid}/itis")
    assert status == 200 and body["group"] and body["ratings"] == []
    assert body["evidence"] == {
        "role_play_run": True,
        "practice_given": 1,
        "practice_reviewed": 0,
        "goals_noted": 1,
        "goals_followed_up": 0,
        "curriculum_used": True,
        "slides_shown": 2,
        "supporter_present": True,
    }
    _, forms = await sue.api("GET", "/api/fidelity/instruments")
    assert len(forms["itis"]["items"]) == 16 and len(forms["imr_fidelity"]["items"]) == 13
    assert sum(not i["optional"] for i in forms["itis"]["items"]) == 13
    assert [i["number"] for i in forms["itis"]["items"] if i["group_only"]] == [15, 16]

    url = f"/api/sessions/{sid}/itis"
    rating = {"scores": GROUP_SCORES, "source": "recording", "comment": "Good role play"}
    assert (await dana.api("POST", url, json=rating))[0] == 403  # the clinician rated
    for bad in (
        {**rating, "scores": GROUP_SCORES[:15]},
        {**rating, "scores": [GROUP_SCORES[0], None, *GROUP_SCORES[2:]]},  # item 2 required
        {**rating, "scores": [6, *GROUP_SCORES[1:]]},
        {**rating, "source": "rumour"},
    ):
        status, body = await sue.api("POST", url, json=bad)
        assert (status, body["error"]["code"]) == (400, "invalid"), bad
    status, saved = await sue.api("POST", url, json=rating)
    assert (status, saved["mean"], saved["leader_id"]) == (201, 3.67, dana.id)
    status, body = await dana.api("GET", url)  # the clinician reads her ratings
    assert status == 200 and [r["id"] for r in body["ratings"]] == [saved["id"]]

    alone = (await dana.create_session(format="individual", title="One to one"))["id"]
    solo = {"scores": [*INDIVIDUAL_SCORES[:14], 4, None], "source": "observed"}
    status, body = await sue.api("POST", f"/api/sessions/{alone}/itis", json=solo)
    assert status == 400 and "only for group sessions" in body["error"]["message"]
    solo["scores"] = INDIVIDUAL_SCORES
    status, saved_solo = await sue.api("POST", f"/api/sessions/{alone}/itis", json=solo)
    assert (status, saved_solo["mean"]) == (201, 3.0)

    program = {"scores": PROGRAM_SCORES, "source": "afterwards", "period": "2026-Q4"}
    assert (await dana.api("POST", "/api/reports/fidelity/program", json=program))[0] == 403
    no_period = {k: v for k, v in program.items() if k != "period"}
    assert (await sue.api("POST", "/api/reports/fidelity/program", json=no_period))[0] == 400
    status, saved_program = await sue.api("POST", "/api/reports/fidelity/program", json=program)
    assert (status, saved_program["mean"], saved_program["target"]) == (
        201,
        3.69,
        "program:2026-Q4",
    )

    month = datetime.now(UTC).strftime("%Y-%m")
    status, report = await sue.api("GET", "/api/reports/fidelity")
    assert status == 200 and len(report["itis"]) == 2
    # Dana's month: the mean of her two sessions' means, (3.67 + 3.0) / 2.
    assert report["itis_by_clinician"] == [
        {"month": month, "leader_id": dana.id, "ratings": 2, "mean": 3.33}
    ]
    assert [r["mean"] for r in report["program"]] == [3.69]
    status, own = await dana.api("GET", "/api/reports/fidelity")
    assert len(own["itis"]) == 2 and own["program"] == []  # the program's is for supervisors
    sam = await server.staff("sam")
    assert (await sam.api("GET", "/api/reports/fidelity"))[1]["itis"] == []

    async with sue.http.get("/api/reports/fidelity?format=csv") as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [r["target"] for r in rows] == [f"session:{sid}", f"session:{alone}"]
    assert [rows[0][f"item_{i.number}"] for i in ITIS_ITEMS] == [
        "" if s is None else str(s) for s in GROUP_SCORES
    ]
    assert (rows[0]["mean"], rows[0]["source"], rows[0]["month"]) == ("3.67", "recording", month)
    async with sue.http.get("/api/reports/fidelity?format=csv&scale=imr_fidelity") as resp:
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [rows[0][f"item_{i.number}"] for i in PROGRAM_ITEMS] == [str(s) for s in PROGRAM_SCORES]

    audit = await server.services.db.fetch(
        "SELECT account_id, action, target FROM audit_log WHERE action LIKE ? OR action LIKE ?",
        "%itis%",
        "%fidelity%",
    )
    actions = [(r["account_id"], r["action"], r["target"]) for r in audit]
    assert (sue.id, "rate.itis", f"session:{sid}") in actions
    assert (sue.id, "rate.imr_fidelity", "program:2026-Q4") in actions
    assert (dana.id, "view.itis", f"session:{sid}") in actions
    assert (sue.id, "export.fidelity", "fidelity:itis") in actions


async def test_a_supervisor_rates_a_session_on_the_review_page(
    server: Server, chromium: Browser
) -> None:
    dana = await server.staff("dana")
    alone = (await dana.create_session(format="individual", title="One to one"))["id"]
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    page = await signed_in(chromium, server, sue)
    await page.goto(f"/review/sessions/{alone}")
    await page.get_by_role("link", name="Fidelity (IT-IS)").click()
    await expect(page.get_by_role("heading", name="Rate this session")).to_be_visible()
    # An individual session's form has no group items.
    assert await page.locator("select[name=item]").count() == 14
    await page.get_by_role("button", name="Save the rating").click()
    await expect(page.locator("form.fidelity-form .error")).to_contain_text("Please score")
    for item in ITIS_ITEMS[1:14]:
        await page.get_by_label(f"{item.number}. {item.name}").select_option("4")
    await page.get_by_label("How you saw the session").select_option("observed")
    await page.get_by_role("button", name="Save the rating").click()
    row = page.locator("#itis-ratings tbody tr").first
    await expect(row).to_contain_text("sue")
    await expect(row.locator("td").nth(3)).to_have_text("4.0")
    await check_page(page, "review-fidelity-session")
    stored = (await sue.api("GET", f"/api/sessions/{alone}/itis"))[1]["ratings"]
    assert [r["scores"] for r in stored] == [[None, *[4] * 13, None, None]]

    await page.goto("/review/fidelity")
    await expect(page.locator("#itis-by-clinician")).to_contain_text("dana")
    await page.get_by_label("Period rated").fill("2026-Q4")
    for item in PROGRAM_ITEMS:
        await page.get_by_label(f"{item.number}. {item.name}:").select_option("3")
    await page.get_by_role("button", name="Save the rating").click()
    await expect(page.locator("#program-fidelity tbody tr").first).to_contain_text("2026-Q4")
    await check_page(page, "review-fidelity")
    page_of_dana = await signed_in(chromium, server, dana)
    await page_of_dana.goto(f"/review/sessions/{alone}/fidelity")
    await expect(page_of_dana.locator("#itis-ratings")).to_contain_text("4.0")
    assert await page_of_dana.get_by_role("button", name="Save the rating").count() == 0
