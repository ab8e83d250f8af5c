"""A whole session in the browser, without media: sign in, invite, join, admit, teach, talk.

Every page state on the way is checked with axe-core and photographed at desktop
and phone width (test-output/screenshots/).
"""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    check_page,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
    open_tool,
)


async def test_clinician_runs_a_session_two_clients_follow(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await leader.goto("/login")
    await check_page(leader, "01-login")
    await clinician_signs_in(server, leader)
    await create_session(leader, "Tuesday group")
    first_link = await make_invite(leader, 1)
    second_link = await make_invite(leader, 2)
    await check_page(leader, "02-dashboard-invites")
    await leader_opens_room(leader, "Tuesday group")
    await check_page(leader, "03-leader-room-empty")

    alex = await new_page(browser, server, phone=True)
    sam = await new_page(browser, server)
    await alex.goto(first_link)
    await check_page(alex, "04-join-name")
    await alex.get_by_label("What should we call you?").fill("Alex")
    await alex.get_by_role("button", name="Next").click()
    await expect(alex.get_by_text("Your camera works.")).to_be_visible()
    await expect(alex.locator("#check-network")).not_to_have_text(re.compile("Checking"))
    await check_page(alex, "05-join-check")
    await alex.get_by_role("button", name="Next").click()
    await check_page(alex, "06-join-consent")
    await alex.get_by_role("button", name="Yes, you may record me").click()
    await expect(alex.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    await check_page(alex, "07-waiting-room")

    await sam.goto(second_link)  # Sam uses the keyboard only
    await sam.keyboard.press("Tab")  # the skip link
    await sam.keyboard.press("Tab")
    await expect(sam.get_by_label("What should we call you?")).to_be_focused()
    await sam.keyboard.type("Sam")
    await sam.keyboard.press("Enter")
    await expect(sam.get_by_role("heading", name="Check your camera")).to_be_focused()
    await sam.keyboard.press("Tab")
    await expect(sam.get_by_role("button", name="Next")).to_be_focused()
    await sam.keyboard.press("Enter")
    await expect(sam.get_by_role("heading", name="May we record this session?")).to_be_focused()
    await sam.keyboard.press("Tab")
    await sam.keyboard.press("Tab")
    await expect(sam.get_by_role("button", name="No, do not record me")).to_be_focused()
    await sam.keyboard.press("Space")
    await expect(sam.get_by_role("heading", name="You are in the waiting room")).to_be_visible()

    await expect(leader.get_by_role("button", name="Admit Sam")).to_be_visible()
    await check_page(leader, "08-leader-room-waiting")
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
    await check_page(leader, "09-leader-room-live")

    await leader.get_by_role("button", name="Ask Alex to mute").click()
    await expect(
        alex.get_by_text("The leader asks you to turn off your microphone.")
    ).to_be_visible()
    await leader.get_by_role("button", name="Rename Sam").click()
    await leader.get_by_label("New name for Sam").fill("Samuel")
    await leader.get_by_role("button", name="Save name").click()
    await expect(alex.locator("#chat-log")).to_contain_text("Samuel: Hello everyone")

    await open_tool(leader, "Role play")
    await leader.get_by_label(re.compile("^Who plays")).first.select_option(label="Alex")
    await leader.get_by_role("button", name="Start role play").click()
    await expect(alex.locator("#roleplay-yours")).to_contain_text("Your role:")
    await expect(sam.get_by_role("heading", name=re.compile("^Role play:"))).to_be_visible()
    await expect(sam.locator("#roleplay-yours")).to_be_empty()
    await check_page(alex, "10-client-room-role-play")
    await leader.get_by_role("button", name="Next step").click()
    await expect(alex.locator("#roleplay-step")).to_contain_text("Step 2 of")

    await leader.get_by_role("button", name="Start role play").click()  # refused: one at a time
    await expect(leader.get_by_role("alert").filter(has_text="already running")).to_be_visible()
    await expect(alex.locator("#roleplay-step")).to_contain_text("Step 2 of")
