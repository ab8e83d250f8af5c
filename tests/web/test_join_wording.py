"""What a client reads on the way in and in a role play: plain, true, and no pushed choice."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import admit, leader_with_two_links, new_page, open_tool


async def test_client_joins_with_sound_only_and_reads_plain_words(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Tuesday group")
    alex = await new_page(browser, server)
    await alex.goto(link)
    await alex.get_by_label("What should we call you?").fill("Alex")
    await alex.get_by_role("button", name="Next").click()

    await expect(alex.get_by_text("We can hear you. Your microphone works.")).to_be_visible()
    await alex.get_by_role("button", name="Join with sound only").click()

    yes = alex.get_by_role("button", name="Yes, you may record me")
    no = alex.get_by_role("button", name="No, do not record me")
    colours = "(b) => getComputedStyle(b).backgroundColor + ' ' + getComputedStyle(b).color"
    assert await yes.evaluate(colours) == await no.evaluate(colours)
    await no.click()

    await expect(alex.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    await expect(alex.locator("#step-waiting")).not_to_contain_text("knows you are here")
    await admit(leader, "Alex")
    await expect(alex.get_by_role("checkbox", name=re.compile("^Audio only"))).to_be_checked()

    await open_tool(leader, "Role play")
    await leader.get_by_label('Who plays "client"?').select_option(label="Alex")
    await leader.get_by_role("button", name="Start role play").click()
    await expect(alex.locator("#roleplay-yours")).to_have_text(
        "Your role: you play the client. Shares what recovery means to them."
    )
    await expect(alex.locator("#roleplay-cast")).to_have_text("Alex plays the client")
    assert await alex.locator("#roleplay-yours").evaluate(
        "(n) => { const r = n.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    ), "Alex's role is on the screen he sees"

    # Cards stay until closed or no longer true, and never pile up.
    await open_tool(leader, "People")
    await leader.get_by_role("button", name="Ask Alex to mute").click()
    ask = alex.get_by_text("The leader asks you to turn off your microphone.")
    await expect(ask).to_be_visible()
    await alex.get_by_role("button", name="Microphone").click()
    await expect(ask).to_have_count(0)
    for _ in range(2):
        await leader.get_by_role("button", name="Ask Alex to mute").click()
    await expect(ask).to_have_count(1)
    card = alex.locator(".note-card", has=ask)
    await card.get_by_role("button", name="Close message").click()
    await expect(ask).to_have_count(0)

    # The leader's connection goes: Alex is told to wait, and the card goes when they are back.
    room = leader.url
    away = alex.get_by_text("The leader lost their connection.")
    await leader.close()
    await expect(away).to_be_visible()
    leader = await leader.context.new_page()
    await leader.goto(room)
    await expect(away).to_have_count(0)
