"""When the next IMR Scales rating is due: at the first session, then every N days.

Ann (C-001) comes to a session today and Dana rates her (clinician version);
Ben (C-002) was invited to a session today but not rated; Cy (C-003) was
invited to one 20 days ago and never rated. With ratings due every 90 days:
Cy's are overdue (more than 14 days late), Ben's and Ann's client version are
due now, Ann's clinician version is due 90 days after her rating. The room's
follow-up, the report, its CSV and the review page all say so.
"""

from __future__ import annotations

import csv
import io

from playwright.async_api import Browser, expect

from imr_live.domain.clock import now_us
from tests.live.harness import Server
from tests.reports.scenario import come_in
from tests.reports.test_review_pages import signed_in
from tests.web.people import check_page

DAY_US = 86_400 * 1_000_000


async def test_due_and_overdue_ratings_are_listed(server: Server, chromium: Browser) -> None:
    dana = await server.staff("dana")
    old = (await dana.create_session(scheduled_at=now_us() - 20 * DAY_US))["id"]
    await dana.invite(old, client_ref="C-003")
    sid = (await dana.create_session())["id"]
    ann_token = await dana.invite(sid, client_ref="C-001")
    await dana.invite(sid, client_ref="C-002")
    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, ann_token, "Ann")
    before = now_us()
    await leader.ok("scale.record", {"participant": ann, "rater": "clinician", "items": [3] * 15})

    status, body = await dana.api("GET", "/api/reports/scales-due")
    assert status == 200 and body["every_days"] == 90
    got = [(d["client_ref"], d["rater"], d["status"]) for d in body["clients"]]
    assert got == [
        ("C-003", "client", "overdue"),
        ("C-003", "clinician", "overdue"),
        ("C-001", "client", "due"),
        ("C-002", "client", "due"),
        ("C-002", "clinician", "due"),
        ("C-001", "clinician", "ok"),
    ]
    ann_next = body["clients"][-1]
    assert before <= ann_next["last_at"] and ann_next["due_at"] == ann_next["last_at"] + 90 * DAY_US

    _, follow = await dana.api("GET", f"/api/sessions/{sid}/follow-up")
    mine = next(c for c in follow["clients"] if c["client_ref"] == "C-001")
    assert {d["rater"]: d["status"] for d in mine["scales_due"]} == {
        "client": "due",
        "clinician": "ok",
    }

    async with dana.http.get("/api/reports/scales-due?format=csv") as resp:
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    assert [(r["client_ref"], r["status"]) for r in rows][:2] == [("C-003", "overdue")] * 2

    page = await signed_in(chromium, server, dana)
    await page.goto("/review/program")
    await page.get_by_role("link", name="IMR Scales due").click()
    first = page.locator("#scales-due tbody tr").first
    await expect(first).to_contain_text("C-003")
    await expect(first).to_contain_text("Overdue")
    await check_page(page, "review-scales-due")
    await page.goto("/review/clients/C-001")
    await expect(page.locator("#scale-due")).to_contain_text("client version due since")


async def test_a_rating_in_a_colleagues_session_counts_without_being_shown(server: Server) -> None:
    """Erin rated Ann (C-001) in her own session today; Dana, who cannot review Erin's
    session, leads Ann's next one: her room's reminder does not call that rating due,
    and says nothing about what the rating was."""
    erin, dana = await server.staff("erin"), await server.staff("dana")
    theirs = (await erin.create_session())["id"]
    lead = await erin.connect(theirs)
    await lead.ok("join")
    _ann, ann = await come_in(server, lead, await erin.invite(theirs, client_ref="C-001"), "Ann")
    await lead.ok("scale.record", {"participant": ann, "rater": "clinician", "items": [4] * 15})
    assert (await dana.api("GET", f"/api/sessions/{theirs}/timeline"))[0] == 403

    sid = (await dana.create_session())["id"]
    await dana.invite(sid, client_ref="C-001")
    status, body = await dana.api("GET", f"/api/sessions/{sid}/scales-due")
    assert status == 200
    (ann_due,) = body["clients"]
    assert [(r["rater"], r["status"]) for r in ann_due["ratings"]] == [("client", "due")]
    assert "items" not in str(body) and "mean" not in str(body)
    _, follow = await dana.api("GET", f"/api/sessions/{sid}/follow-up")
    (ann_follow,) = follow["clients"]
    assert {d["rater"]: d["status"] for d in ann_follow["scales_due"]} == {
        "client": "due",
        "clinician": "ok",
    }
