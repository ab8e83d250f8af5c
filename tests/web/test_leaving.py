"""People leaving the room: removed by the leader, or cut off by the network and back."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import (
    check_page,
    client_admitted,
    client_waits,
    leader_with_two_links,
    new_page,
)


async def test_removed_client_sees_why_and_cannot_rejoin_by_link(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Thursday group")
    alex = await client_admitted(browser, server, leader, link, "Alex")

    await leader.get_by_role("button", name="Remove Alex").click()
    await leader.get_by_role("button", name="Yes, remove Alex").click()

    await expect(
        alex.get_by_role("heading", name="You were taken out of this session")
    ).to_be_visible()
    await check_page(alex, "11-removed")
    await expect(leader.locator("#people-list")).not_to_contain_text("Alex")
    await alex.goto(link)
    await expect(alex.get_by_role("heading", name="This link no longer works")).to_be_visible()
    await expect(alex.get_by_label("What should we call you?")).to_have_count(0)
    await check_page(alex, "12-link-turned-off")


async def test_denied_client_is_told_plainly(server: Server, browser: Browser) -> None:
    leader, _, link = await leader_with_two_links(server, browser, "Wednesday group")
    sam = await new_page(browser, server)
    await client_waits(sam, link, "Sam")

    await leader.get_by_role("button", name="Deny Sam").click()
    await leader.get_by_role("button", name="Yes, turn Sam away").click()

    await expect(sam.get_by_role("heading", name="The leader could not let you in")).to_be_visible()
    await expect(leader.get_by_text("Nobody is waiting.")).to_be_visible()
    await check_page(sam, "15-denied")


async def test_client_back_online_or_reloaded_sees_the_current_slide(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Friday group")
    alex = await client_admitted(browser, server, leader, link, "Alex")
    await leader.get_by_role("button", name="Next slide").click()
    await expect(alex.locator("#slide-position")).to_have_text(re.compile(r"^Slide 1 of"))

    await alex.context.set_offline(True)
    await expect(alex.locator("#conn-banner")).to_be_visible()
    await expect(alex.locator("#conn-banner")).to_contain_text("Reconnecting")
    await check_page(alex, "13-reconnecting")
    await leader.get_by_role("button", name="Next slide").click()
    await expect(leader.locator("#slide-position")).to_have_text(re.compile(r"^Slide 2 of"))
    await asyncio.sleep(3)  # stay offline a while, as a weak link does
    await alex.context.set_offline(False)

    await expect(alex.locator("#conn-banner")).to_be_hidden()
    await expect(alex.locator("#slide-position")).to_have_text(re.compile(r"^Slide 2 of"))
    await expect(alex.locator("#slide h2")).to_have_text(
        await leader.locator("#slide h2").inner_text()
    )

    await alex.reload()
    await expect(alex.locator("#slide-position")).to_have_text(re.compile(r"^Slide 2 of"))
    await expect(alex.get_by_label("What should we call you?")).to_be_hidden()


async def test_clients_see_the_end_and_their_link_says_so(server: Server, browser: Browser) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Monday group")
    alex = await client_admitted(browser, server, leader, link, "Alex")

    await leader.get_by_role("button", name="End the session").click()
    await leader.get_by_role("button", name="Yes, end it for everyone").click()

    for page in (leader, alex):
        await expect(page.get_by_role("heading", name="The session has ended")).to_be_visible()
    await check_page(alex, "14-session-ended")
    await alex.goto(link)
    await expect(alex.get_by_role("heading", name="This session has ended")).to_be_visible()
