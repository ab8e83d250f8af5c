"""Chat history: a late joiner, a reloaded page and a reconnected page all see the
conversation once, in order."""

from __future__ import annotations

import asyncio

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links


async def say(page: Page, text: str) -> None:
    """Send one chat message and wait until it shows on the sender's page."""
    await page.get_by_label("Message").fill(text)
    await page.get_by_role("button", name="Send").click()
    await expect(page.locator("#chat-log")).to_contain_text(text)


async def test_late_joiner_and_returning_client_see_the_conversation_once(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Chat group")
    ann = await client_admitted(browser, server, leader, first, "Ann")
    await say(ann, "Hello, I am Ann")
    await say(leader, "Welcome, Ann")
    so_far = ["Ann: Hello, I am Ann", "dana: Welcome, Ann"]

    ben = await client_admitted(browser, server, leader, second, "Ben")
    await expect(ben.locator("#chat-log li")).to_have_text(so_far)
    await check_page(ben, "30-late-joiner-sees-chat")

    await ann.reload()
    await expect(ann.locator("#room")).to_be_visible()
    await expect(ann.locator("#chat-log li")).to_have_text(so_far)

    await ann.context.set_offline(True)
    await expect(ann.locator("#conn-banner")).to_be_visible()
    await expect(ann.locator("#conn-banner")).to_contain_text("Reconnecting")
    await say(ben, "Said while Ann was away")
    await asyncio.sleep(2)  # stay offline a while, as a weak link does
    await ann.context.set_offline(False)
    await expect(ann.locator("#conn-banner")).to_be_hidden()
    await say(ben, "Hi both")
    everything = [*so_far, "Ben: Said while Ann was away", "Ben: Hi both"]
    for page in (leader, ann, ben):
        await expect(page.locator("#chat-log li")).to_have_text(everything)
