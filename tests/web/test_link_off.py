"""Turning a link off on the dashboard takes its holder out, from the waiting room or the room."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import (
    check_page,
    client_admitted,
    client_waits,
    leader_with_two_links,
    new_page,
)


async def test_turning_a_link_off_takes_its_holder_out_of_the_waiting_room_and_the_room(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Monday group")
    sam = await client_admitted(browser, server, leader, second, "Sam")
    ann = await new_page(browser, server)
    await client_waits(ann, first, "Ann")
    await expect(leader.get_by_role("button", name="Admit Ann")).to_be_visible()

    dashboard = await leader.context.new_page()
    await dashboard.goto("/staff")
    card = dashboard.locator(".session-list > li", has_text="Monday group")
    await card.get_by_role("button", name="Invite people to Monday group").click()
    await card.get_by_role("button", name="Turn off link 1: client").click()
    await expect(card.locator(".s-invite-list")).to_contain_text(
        "Link 1: Client \N{EN DASH} turned off"
    )

    await expect(leader.get_by_role("button", name="Admit Ann")).to_have_count(0)
    await expect(
        ann.get_by_role("heading", name="You were taken out of this session")
    ).to_be_visible()

    await card.get_by_role("button", name="Turn off link 2: client").click()
    await expect(leader.locator("#people-list .name", has_text="Sam")).to_have_count(0)
    await expect(
        sam.get_by_role("heading", name="You were taken out of this session")
    ).to_be_visible()
    await check_page(sam, "61-client-link-turned-off")
    await sam.reload()
    await expect(sam.get_by_role("heading", name="This link no longer works")).to_be_visible()
