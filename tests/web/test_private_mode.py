"""Private group mode as people see it in Chromium: the lead turns it on, a client sees
another client only as "Group member" until that client chooses to show themselves."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links


async def test_a_client_sees_group_member_until_the_other_chooses_to_show_themselves(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Tuesday group")
    ann = await client_admitted(browser, server, leader, first, "Ann")
    ben = await client_admitted(browser, server, leader, second, "Ben")
    await ben.get_by_label("Message", exact=True).fill("Hello all")
    await ben.locator("#chat-form button").click()
    await expect(ann.locator("#chat-log")).to_contain_text("Ben: Hello all")

    await leader.get_by_role("button", name="Turn on private group mode").click()
    await expect(leader.locator("#private-state")).to_contain_text("Private group mode is on")
    await expect(ann.locator("#privacy-words")).to_contain_text(
        "other group members do not see your name"
    )
    # Ben's earlier line and his new one now carry no name on Ann's page.
    await expect(ann.locator("#chat-log")).to_contain_text("Group member: Hello all")
    await ben.get_by_label("Message", exact=True).fill("Second try")
    await ben.locator("#chat-form button").click()
    await expect(ann.locator("#chat-log")).to_contain_text("Group member: Second try")
    assert "Ben" not in await ann.locator("#room").inner_text()
    # The leader still sees who is who.
    await expect(leader.locator("#chat-log")).to_contain_text("Ben: Second try")
    await check_page(ann, "private-mode-client")

    await ben.get_by_role("button", name="Show me to the group").click()
    await expect(ann.locator("#chat-log")).to_contain_text("Ben: Second try")
    await expect(ben.get_by_role("button", name="Hide me from the group")).to_be_visible()
