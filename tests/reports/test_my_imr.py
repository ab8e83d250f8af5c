""" "My IMR": a client opens their own record with their join link; nobody else's shows.

Ann (C-001) and Ben (C-002) come to the first session of the first module. The
leader gives Ann home practice and a goal, Ben another goal, and writes Ann's
plan to stay well. After the session ends each opens My IMR: Ann sees her
goal, practice, plan and module, never Ben's goal; Ben sees his. A supporter's
link, a forged link and Ann's link once turned off are refused; each view is
audited in the link's name.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.live.test_whole_session import first_script
from tests.reports.scenario import come_in
from tests.web.people import check_page, new_page

ANN_GOAL, BEN_GOAL = "Get back to work", "Visit my brother"
PRACTICE = "Walk 10 minutes a day"
PLAN = {"warning_signs": ["I stop sleeping well"], "my_steps": ["Call my clinician"]}


async def held(server: Server) -> dict[str, Any]:
    dana = await server.staff("dana")
    ref, _slides, _rp = first_script(server)
    sid = (await dana.create_session(script_ref=ref))["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    ben_token = await dana.invite(sid, "client", client_ref="C-002")
    supporter = await dana.invite(sid, "supporter", client_ref="C-001")
    leader = await dana.connect(sid)
    await leader.ok("join")
    _a, ann = await come_in(server, leader, ann_token, "Ann")
    _b, ben = await come_in(server, leader, ben_token, "Ben")
    await leader.ok("assignment.give", {"participant": ann, "text": PRACTICE})
    await leader.ok("goal.note", {"participant": ann, "goal": ANN_GOAL})
    await leader.ok("goal.note", {"participant": ben, "goal": BEN_GOAL})
    await leader.ok("session.end")
    status, _ = await dana.api(
        "PUT", "/api/clients/C-001/plans/relapse_prevention", json={"content": PLAN}
    )
    assert status == 200
    return {
        "dana": dana,
        "sid": sid,
        "ann": ann_token,
        "ben": ben_token,
        "supporter": supporter,
        "ann_pid": ann,
        "ref": ref,
    }


async def mine(server: Server, token: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession(base_url=server.url) as http,
        http.post("/api/my-imr", json={"token": token}) as resp,
    ):
        return resp.status, await resp.json()


async def page_text(server: Server, path: str) -> str:
    async with aiohttp.ClientSession(base_url=server.url) as http, http.get(path) as resp:
        assert resp.status == 200
        return await resp.text()


async def test_each_client_sees_only_their_own_record(server: Server) -> None:
    h = await held(server)
    status, ann = await mine(server, h["ann"])
    assert status == 200 and ann["linked"]
    assert [(g["goal"], g["words"]) for g in ann["goals"]] == [(ANN_GOAL, "Just started")]
    assert [(a["text"], a["words"]) for a in ann["practice"]] == [(PRACTICE, "To do")]
    (plan,) = ann["plans"]
    assert plan["title"] == "My plan to stay well"
    signs = next(s for s in plan["sections"] if s["key"] == "warning_signs")
    assert signs["entries"] == PLAN["warning_signs"]
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    module = curriculum.module(curriculum.session(h["ref"]).module_id)
    first = ann["modules"][0]
    assert first["title"] == module.title and ann["sessions_attended"] == 1
    assert first["sessions"] == len(module.sessions) and not first["completed"]
    assert ann["next_sessions"] == []  # the only session has ended
    assert BEN_GOAL not in str(ann) and "C-002" not in str(ann)

    status, ben = await mine(server, h["ben"])
    assert status == 200 and [g["goal"] for g in ben["goals"]] == [BEN_GOAL]
    assert ben["plans"] == [] and ben["practice"] == [] and ANN_GOAL not in str(ben)

    text = await page_text(server, f"/join/{h['ann']}/my-imr")
    assert ANN_GOAL in text and PRACTICE in text and "I stop sleeping well" in text
    assert BEN_GOAL not in text and module.title in text

    rows = await server.services.db.fetch(
        "SELECT account_id, target FROM audit_log WHERE action = ? ORDER BY at, id", "view.my_imr"
    )
    seen = [(r["account_id"], r["target"]) for r in rows]
    assert seen.count((h["ann_pid"], "client:C-001")) == 2 and len(seen) == 3


async def test_other_links_are_refused(server: Server) -> None:
    h = await held(server)
    status, body = await mine(server, h["supporter"])
    assert (status, body["error"]["code"]) == (403, "forbidden")
    forged = h["ann"][:-4] + "AAAA"
    assert (await mine(server, forged))[0] == 401
    assert (await mine(server, 123))[0] == 400  # type: ignore[arg-type]
    dana = h["dana"]
    status, _ = await dana.api("DELETE", f"/api/sessions/{h['sid']}/invites/{h['ann_pid']}")
    assert status in (200, 204)
    status, body = await mine(server, h["ann"])
    assert (status, body["error"]["code"]) == (401, "link_revoked")
    text = await page_text(server, f"/join/{h['ann']}/my-imr")
    assert "This link no longer works" in text and ANN_GOAL not in text
    rows = await server.services.db.fetch("SELECT 1 FROM audit_log WHERE action = ?", "view.my_imr")
    assert rows == []  # nothing was shown, so nothing to audit


async def test_my_imr_reads_well_on_a_phone(server: Server, chromium: Browser) -> None:
    h = await held(server)
    page = await new_page(chromium, server)
    await page.goto(f"/join/{h['ann']}/my-imr")
    await expect(page.get_by_role("heading", name="My IMR", level=1)).to_be_visible()
    await expect(page.get_by_role("heading", name="My plan to stay well")).to_be_visible()
    await expect(page.locator("#my-goals")).to_contain_text(ANN_GOAL)
    await check_page(page, "my-imr")
