"""A whole session in the browser, without media: sign in, invite, join, admit, teach, talk."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    client_waits,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
)


async def test_clinician_runs_a_session_two_clients_follow(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Tuesday group")
    first_link = await make_invite(leader, 1)
    second_link = await make_invite(leader, 2)
    await leader_opens_room(leader, "Tuesday group")

    alex = await new_page(browser, server, phone=True)
    sam = await new_page(browser, server)
    await client_waits(alex, first_link, "Alex", consent=True)
    await client_waits(sam, second_link, "Sam", consent=False)

    await admit(leader, "Alex")
    await admit(leader, "Sam")
    for client in (alex, sam):
        await expect(client.get_by_role("heading", name="Tuesday group")).to_be_visible()
        await expect(client.get_by_text("No slide yet")).to_be_visible()

    await leader.get_by_role("button", name="Next slide").click()
    await expect(leader.locator("#slide-position")).to_have_text(re.compile(r"^Slide 1 of \d+$"))
    await leader.get_by_role("button", name="Next slide").click()
    for page in (leader, alex, sam):
        await expect(page.locator("#slide-position")).to_have_text(re.compile(r"^Slide 2 of \d+$"))
        await expect(page.locator("#slide h2")).not_to_be_empty()

    await alex.get_by_role("button", name="Raise hand").click()
    await expect(leader.locator("#hands-list")).to_contain_text("Alex")
    await expect(alex.get_by_role("button", name="Lower hand")).to_have_attribute(
        "aria-pressed", "true"
    )

    await sam.get_by_label("Message").fill("Hello everyone")
    await sam.get_by_role("button", name="Send").click()
    for page in (leader, alex, sam):
        await expect(page.locator("#chat-log")).to_contain_text("Sam: Hello everyone")
