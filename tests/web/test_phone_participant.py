"""A caller who joined through the phone gateway is shown and announced as on the phone."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server, guest
from tests.web.people import admit, leader_with_two_links


async def test_the_leader_sees_a_caller_waiting_on_the_phone(
    server: Server, browser: Browser
) -> None:
    leader, link, _second = await leader_with_two_links(server, browser, "Phone group")
    pat = await guest(server, link.rsplit("/", 1)[1])
    await pat.ok("join", {"display_name": "Pat", "via": "phone", "consent": True})
    await expect(leader.locator("#waiting-list")).to_contain_text("Pat (client, on the phone)")
    await admit(leader, "Pat")
    await expect(leader.locator("#people-list li", has_text="Pat")).to_contain_text("on the phone")
