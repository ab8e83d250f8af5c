"""The leads see in the room whose IMR Scales rating is due (issue #14), in Chromium.

95 days ago Dana rated Ann (C-001) in an earlier session; Ann never rated
herself. Today Ann and Ben (C-002, new) come to Dana's group. While they wait
nothing shows; once each is let in, Dana sees a short reminder for them. Ann's
page shows none of it; another clinician, a supervisor and a visitor without
sign-in get 403, 403 and 401 from the leads' API, and each read by Dana is audited.
"""

from __future__ import annotations

import time
from types import SimpleNamespace

import aiohttp
import pytest
from playwright.async_api import Browser, expect

from imr_live.domain.clock import now_us
from imr_live.domain.roles import StaffRole
from imr_live.store import session_log
from tests.live.harness import Server, Staff
from tests.reports.scenario import come_in
from tests.reports.test_review_pages import signed_in
from tests.web.people import admit, check_page, client_waits, new_page

DAY_US = 86_400 * 1_000_000
ANN_LINES = [
    "IMR Scales self-rating overdue for Ann (never rated)",
    "IMR Scales due for Ann (last rated 95 days ago)",
]


async def rated_long_ago(server: Server, monkeypatch: pytest.MonkeyPatch) -> Staff:
    """Dana rates Ann in a session held 95 days ago (its log written with that day's clock)."""
    dana = await server.staff("dana")
    old = await dana.create_session(title="Spring group", scheduled_at=now_us() - 95 * DAY_US)
    token = await dana.invite(old["id"], client_ref="C-001")
    back = 95 * 86_400 * 10**9
    monkeypatch.setattr(session_log, "time", SimpleNamespace(time_ns=lambda: time.time_ns() - back))
    leader = await dana.connect(old["id"])
    await leader.ok("join")
    _ann, pid = await come_in(server, leader, token, "Ann")
    await leader.ok("scale.record", {"participant": pid, "rater": "clinician", "items": [3] * 15})
    await leader.ok("session.end")
    monkeypatch.undo()
    return dana


async def test_leads_see_ratings_due_for_clients_let_in(
    server: Server, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    dana = await rated_long_ago(server, monkeypatch)
    sid = (await dana.create_session(title="Tuesday group"))["id"]
    ann_link = f"{server.url}/join/{await dana.invite(sid, client_ref='C-001')}"
    ben_link = f"{server.url}/join/{await dana.invite(sid, client_ref='C-002')}"

    leader = await signed_in(browser, server, dana)
    await leader.goto(f"/room/{sid}")
    await expect(leader.get_by_role("heading", name="Waiting room")).to_be_visible()
    card = leader.locator("#scales-due")
    ann = await new_page(browser, server)
    await client_waits(ann, ann_link, "Ann")
    ben = await new_page(browser, server)
    await client_waits(ben, ben_link, "Ben")
    await expect(leader.get_by_role("button", name="Admit Ben")).to_be_visible()
    await expect(card).to_be_hidden()  # nobody is in yet

    await admit(leader, "Ann")
    region = leader.get_by_role("region", name="IMR Scales to do")
    await expect(region.get_by_role("listitem")).to_have_text(ANN_LINES)
    await admit(leader, "Ben")
    await expect(region.get_by_role("listitem")).to_have_text(
        [
            *ANN_LINES,
            "IMR Scales self-rating due for Ben (never rated)",
            "IMR Scales due for Ben (never rated)",
        ]
    )
    await check_page(leader, "room-scales-due")

    await expect(ann.locator("#room")).to_be_visible()
    assert await ann.locator("#scales-due").count() == 0  # not on a client's page at all
    assert "last rated" not in await ann.content() and "IMR Scales due" not in await ben.content()

    path = f"/api/sessions/{sid}/scales-due"
    for other in (await server.staff("erin"), await server.staff("sue", StaffRole.SUPERVISOR)):
        status, body = await other.api("GET", path)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    async with aiohttp.ClientSession(base_url=server.url) as anyone, anyone.get(path) as resp:
        assert resp.status == 401
    status, body = await dana.api("GET", path)
    assert status == 200
    assert [r["days_since_last"] for r in body["clients"][0]["ratings"]] == [None, 95]
    rows = await server.services.db.fetch(
        "SELECT DISTINCT account_id, target FROM audit_log WHERE action = ?", "view.scales_due"
    )
    assert sorted((r["account_id"], r["target"]) for r in rows) == [
        (dana.id, "client:C-001"),
        (dana.id, "client:C-002"),
    ]
