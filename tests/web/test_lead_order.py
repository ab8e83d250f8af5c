"""Leads have an order, as the people in the room see it: a co-leader is offered no control
over the lead clinician, and the lead undoes what a co-leader did."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    check_page,
    client_admitted,
    leader_with_two_links,
    new_page,
    open_tool,
)
from tests.web.test_room_moderation import in_media, person_id


@pytest.fixture
def server(media_server: Server) -> Server:
    """Turning a sound off for everyone goes through the SFU."""
    return media_server


async def co_leader_by_link(leader: Page, browser: Browser, server: Server) -> Page:
    """The lead makes a co-leader link on a second page of theirs; Robin comes in with it."""
    dashboard = await leader.context.new_page()
    await dashboard.goto("/staff")
    card = dashboard.locator(".session-list > li", has_text="Mixed group")
    await card.get_by_role("button", name="Invite people to Mixed group").click()
    await card.get_by_label("Role", exact=True).select_option("co_leader")
    await card.get_by_role("button", name="Make a link").click()
    link = await card.get_by_label("New link 1: Co-leader").input_value()
    await dashboard.close()
    robin = await new_page(browser, server)
    await robin.goto(link)
    await robin.get_by_label("What should we call you?").fill("Robin")
    await robin.get_by_role("button", name="Next").click()
    await expect(robin.get_by_text("Your camera works.")).to_be_visible()
    await robin.get_by_role("button", name="Next").click()
    await robin.get_by_role("button", name="No, do not record me").click()
    await expect(leader.locator("#people-list")).to_contain_text("Robin")
    return robin


async def test_a_co_leader_has_no_control_over_the_lead_who_undoes_their_mute(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Mixed group")
    ann = await client_admitted(browser, server, leader, link, "Ann")
    robin = await co_leader_by_link(leader, browser, server)
    ann_id = await person_id(leader, "Ann")
    await in_media(robin, ann_id)

    # On Robin's page the lead's row offers nothing that would be refused.
    await open_tool(robin, "People")
    lead_row = robin.locator(
        "#people-list li[data-participant]", has_text="dana \N{EN DASH} leader"
    )
    await expect(
        lead_row.get_by_role("button", name="Turn off dana's sound for everyone")
    ).to_have_count(0)
    await expect(lead_row.get_by_role("button", name="Rename dana")).to_have_count(0)
    await expect(lead_row.get_by_role("button", name="Remove dana")).to_have_count(0)
    await check_page(robin, "60-co-leader-people")
    await open_tool(leader, "People")
    await expect(leader.get_by_role("button", name="Rename Robin")).to_be_visible()

    # Robin turns Ann's sound off; the lead turns it back on.
    await robin.get_by_role("button", name="Turn off Ann's sound for everyone").click()
    told = ann.get_by_text("The leader turned off your microphone for everyone.")
    await expect(told).to_be_visible()
    await leader.get_by_role("button", name="Let everyone hear Ann again").click()
    await expect(ann.get_by_text("The leader turned your microphone back on.")).to_be_visible()
    await expect(told).to_have_count(0)
    await expect(ann.locator("#btn-mic")).to_have_text("Microphone on")
    await expect(
        robin.get_by_role("button", name="Turn off Ann's sound for everyone")
    ).to_be_visible()

    # The lead's own microphone answers to the lead alone.
    mic = leader.locator("#btn-mic")
    await expect(mic).to_have_text("Microphone on")
    await mic.click()
    await expect(mic).to_have_attribute("aria-pressed", "false")
    await mic.click()
    await expect(mic).to_have_text("Microphone on")
    await expect(leader.get_by_text("turned off your microphone")).to_have_count(0)
