"""A caller who joined through the phone gateway is shown and announced as on the phone."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server, guest
from tests.web.people import admit, check_page, leader_with_two_links


async def test_the_leader_sees_a_caller_waiting_on_the_phone(
    server: Server, browser: Browser
) -> None:
    leader, link, _second = await leader_with_two_links(server, browser, "Phone group")
    pat = await guest(server, link.rsplit("/", 1)[1])
    await pat.ok("join", {"display_name": "Pat", "via": "phone", "consent": True})
    await expect(leader.locator("#waiting-list")).to_contain_text("Pat (client, on the phone)")
    await admit(leader, "Pat")
    await expect(leader.locator("#people-list li", has_text="Pat")).to_contain_text("on the phone")


async def test_a_lead_calls_a_phone_from_the_room_and_reads_why_it_cannot(
    server: Server, browser: Browser
) -> None:
    leader, _link, _second = await leader_with_two_links(server, browser, "Phone group")
    tools = leader.locator("#phone-tools")
    await expect(tools).to_be_visible()
    who = leader.get_by_label("Who to call")
    await expect(who.locator("option")).to_have_count(2)
    number = leader.get_by_label("Their phone number")
    state = leader.locator("#phone-state")

    await number.fill("not a number")
    await leader.get_by_role("button", name="Call", exact=True).click()
    await expect(state).to_have_text(
        "number: a phone number of 3 to 15 digits, optionally starting with +"
    )
    await number.fill("+44 20 7946 0000")
    await leader.get_by_role("button", name="Call", exact=True).click()
    await expect(state).to_have_text("this clinic has no phone gateway set up")
    await check_page(leader, "86-lead-call-a-phone")
