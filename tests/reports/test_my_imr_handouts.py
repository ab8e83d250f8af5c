""" "My IMR" lists the handouts shown in the sessions a client came to, and opens them.

Dana uploads two handouts and shows one of them to Ann. After the session, Ann's
My IMR lists the shown one (not the other); its page opens under her link as a
picture. Cal was invited but never came: he sees no handouts and cannot open it.
"""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.live.test_handouts import uploaded
from tests.live.test_whole_session import first_script
from tests.reports.scenario import come_in
from tests.reports.test_my_imr import mine, page_text
from tests.web.people import check_page, new_page


async def shown_once(server: Server) -> tuple[str, str, str]:
    """A session that ended after a handout was shown to Ann; Cal never came."""
    dana = await server.staff("dana")
    ref, _slides, _rp = first_script(server)
    sid = (await dana.create_session(script_ref=ref))["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    cal_token = await dana.invite(sid, "client", client_ref="C-003")
    shown = await uploaded(dana, sid, 2, "Coping skills")
    await uploaded(dana, sid, 1, "Never shown")
    leader = await dana.connect(sid)
    await leader.ok("join")
    await come_in(server, leader, ann_token, "Ann")
    await leader.ok("handout.show", {"handout": shown})
    await leader.ok("session.end")
    return ann_token, cal_token, shown


async def test_a_client_opens_the_handouts_of_sessions_they_came_to(server: Server) -> None:
    ann_token, cal_token, shown = await shown_once(server)
    status, ann = await mine(server, ann_token)
    assert status == 200
    assert ann["handouts"] == [{"id": shown, "title": "Coping skills", "pages": 2}]
    text = await page_text(server, f"/join/{ann_token}/my-imr")
    assert f'href="my-imr/handouts/{shown}"' in text and "Never shown" not in text
    handout = await page_text(server, f"/join/{ann_token}/my-imr/handouts/{shown}")
    assert 'alt="Handout: Coping skills, page 2 of 2"' in handout
    async with aiohttp.ClientSession(base_url=server.url) as http:
        picture = f"/join/{ann_token}/my-imr/handouts/{shown}/pages/2.png"
        async with http.get(picture) as resp:
            assert resp.status == 200
            assert resp.headers["Content-Type"] == "image/png"
            assert resp.headers["X-Content-Type-Options"] == "nosniff"
        async with http.get(f"/join/{cal_token}/my-imr/handouts/{shown}/pages/1.png") as resp:
            assert resp.status == 404
        async with http.get(f"/join/{cal_token}/my-imr/handouts/{shown}") as resp:
            assert resp.status == 404 and "Coping skills" not in await resp.text()
    assert (await mine(server, cal_token))[1]["handouts"] == []
    rows = await server.services.db.fetch(
        "SELECT target FROM audit_log WHERE action = ?", "view.handout"
    )
    assert [r["target"] for r in rows] == ["client:C-001"]


async def test_the_handout_opens_as_pictures_on_a_phone(server: Server, chromium: Browser) -> None:
    ann_token, _cal, _shown = await shown_once(server)
    page = await new_page(chromium, server, phone=True)
    await page.goto(f"/join/{ann_token}/my-imr")
    await page.get_by_role("link", name="Coping skills (2 pages)").click()
    await expect(page.get_by_role("heading", name="Coping skills", level=1)).to_be_visible()
    for n in (1, 2):
        img = page.get_by_role("img", name=f"Handout: Coping skills, page {n} of 2")
        await img.scroll_into_view_if_needed()
        await expect(img).to_be_visible()
        await page.wait_for_function(
            "alt => [...document.images].some(i => i.alt === alt && i.naturalWidth > 0)",
            arg=f"Handout: Coping skills, page {n} of 2",
        )
    await check_page(page, "my-imr-handout")
    await page.get_by_role("link", name="Back to My IMR").click()
    await expect(page.get_by_role("heading", name="Handouts")).to_be_visible()
