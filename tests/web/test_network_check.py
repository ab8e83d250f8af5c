"""The pre-join network check: a larger download estimates speed, and a weak link is
advised, in plain words, to use "Audio only"."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, expect

from imr_live.edges.pages_api import JOIN_TOKEN_HEADER
from tests.live.harness import Server
from tests.web.people import check_page, clinician_signs_in, create_session, make_invite, new_page

# About 160 kbit/s down: under the 300 kbit/s below which video is not worth trying.
WEAK_LINK = {
    "offline": False,
    "latency": 150,
    "downloadThroughput": 20_000,
    "uploadThroughput": 20_000,
}


async def test_large_network_check_is_about_200_kb_and_never_cached(server: Server) -> None:
    staff = await server.staff("dana")
    token = await staff.invite((await staff.create_session())["id"])
    async with aiohttp.ClientSession(base_url=server.url) as http:
        resp = await http.get("/api/netcheck/large", headers={JOIN_TOKEN_HEADER: token})
        body = await resp.read()
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert 180_000 < len(body) < 260_000


async def test_weak_link_is_advised_audio_only_and_a_good_one_is_not(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Rural group")
    link = await make_invite(leader, 1)

    good = await new_page(browser, server)
    await good.goto(link)
    await good.get_by_label("What should we call you?").fill("Ann")
    await good.get_by_role("button", name="Next").click()
    await expect(good.locator("#check-network")).to_have_text(
        "Your internet connection looks good."
    )

    weak = await new_page(browser, server, phone=True)
    await weak.goto(link)
    await weak.get_by_label("What should we call you?").fill("Ann")
    cdp = await weak.context.new_cdp_session(weak)
    await cdp.send("Network.enable")
    await cdp.send("Network.emulateNetworkConditions", WEAK_LINK)
    await weak.get_by_role("button", name="Next").click()
    await expect(weak.locator("#check-network")).to_contain_text(
        "Your internet connection is weak", timeout=30_000
    )
    await expect(weak.locator("#check-network")).to_contain_text('choose "Audio only"')
    await cdp.send(
        "Network.emulateNetworkConditions",
        {**WEAK_LINK, "downloadThroughput": -1, "uploadThroughput": -1, "latency": 0},
    )
    await check_page(weak, "51-join-check-weak-link")
