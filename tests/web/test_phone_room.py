"""A client on a phone (360x740): a role play brings "Your role" into sight and says it; when
the leader's connection goes, the client is told in words wherever they have scrolled; at
200 % text nothing runs off the side of the screen."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    check_page,
    client_waits,
    leader_with_two_links,
    new_page,
    open_tool,
)
from tests.web.test_room_layout import RECT

ON_SCREEN = (
    "(n) => { const r = n.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
)


async def phone_client(browser: Browser, server: Server, leader: Page, link: str) -> Page:
    alex = await new_page(browser, server, phone=True)
    await client_waits(alex, link, "Alex")
    await admit(leader, "Alex")
    await expect(alex.locator("#room")).to_be_visible()
    return alex


async def test_phone_client_sees_their_role_and_hears_when_the_leader_drops(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Phone group")
    alex = await phone_client(browser, server, leader, link)

    await open_tool(leader, "Role play")
    await leader.get_by_label('Who plays "client"?').select_option(label="Alex")
    await leader.get_by_role("button", name="Start role play").click()
    yours = alex.locator("#roleplay-yours")
    await expect(yours).to_have_text(
        "Your role: you play the client. Shares what recovery means to them."
    )
    await expect(alex.locator("#announcer")).to_have_text(
        "Your role: you play the client. Shares what recovery means to them."
    )
    assert await yours.evaluate(ON_SCREEN), "Alex's role is on the screen he sees"
    await check_page(alex, "84-phone-your-role")

    # Alex reads the chat further down; the leader's connection goes.
    await alex.get_by_role("heading", name="Chat").scroll_into_view_if_needed()
    room = leader.url
    await leader.close()
    away = alex.get_by_text("The leader lost their connection.")
    await expect(away).to_be_visible()
    assert await away.evaluate(ON_SCREEN), "the message is in sight where Alex is"
    await expect(alex.locator("#announcer")).to_contain_text("the leader's connection was lost")
    await check_page(alex, "85-phone-leader-lost")

    # At double text size the card and the controls stay inside the screen.
    await alex.evaluate("document.documentElement.style.fontSize = '200%'")
    assert await alex.evaluate("document.documentElement.scrollWidth <= innerWidth")
    card = dict(await alex.locator(".note-card", has=away).evaluate(RECT))
    assert card["left"] >= 0 and card["right"] <= card["vw"] and card["height"] < card["vh"], card
    for name in ("Microphone", "Camera", "Raise hand", "Leave", "Make the slide bigger"):
        button = dict(await alex.get_by_role("button", name=name).evaluate(RECT))
        assert 0 <= button["left"] and button["right"] <= button["vw"], (name, button)

    leader = await leader.context.new_page()
    await leader.goto(room)
    await expect(away).to_have_count(0)
