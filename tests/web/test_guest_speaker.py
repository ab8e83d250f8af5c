"""A guest speaker in Chromium: the leader makes a link with a time window open now, the
guest comes straight into the room, everyone is told who came, and the guest sees a client
only as "Group member" until the leader lets them see names."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from imr_live.domain.clock import SECOND_US, now_us
from tests.live.harness import Server
from tests.web.people import (
    check_page,
    client_admitted,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
)


async def make_guest_speaker_link(leader: Page, number: int) -> str:
    """A guest speaker link whose time began 5 minutes ago and ends in an hour."""
    await leader.get_by_label("Role").select_option("guest_speaker")
    await expect(leader.get_by_role("group", name="Guest speaker time")).to_be_visible()
    start, end = await leader.evaluate(
        """() => {
          const local = (ms) => {
            const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
            return d.toISOString().slice(0, 16);
          };
          return [local(Date.now() - 5 * 60000), local(Date.now() + 60 * 60000)];
        }"""
    )
    await leader.get_by_label("From", exact=True).fill(start)
    await leader.get_by_label("Until", exact=True).fill(end)
    await check_page(leader, "guest-speaker-invite")
    await leader.get_by_role("button", name="Make a link").click()
    link = leader.get_by_label(f"New link {number}: Guest speaker")
    await expect(link).to_have_value(re.compile(r"/join/"))
    return await link.input_value()


async def test_a_guest_speaker_comes_straight_in_is_introduced_and_sees_group_member(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Tuesday group")
    client_link = await make_invite(leader, 1)
    guest_link = await make_guest_speaker_link(leader, 2)
    await leader_opens_room(leader, "Tuesday group")
    ann = await client_admitted(browser, server, leader, client_link, "Annabel")
    await ann.get_by_label("Message", exact=True).fill("Hello all")
    await ann.locator("#chat-form button").click()

    gil = await new_page(browser, server)
    await gil.goto(guest_link)
    await gil.get_by_label("What should we call you?").fill("Dr. Gil")
    await gil.get_by_role("button", name="Next").click()
    await expect(gil.get_by_text("Your camera works.")).to_be_visible()
    await gil.get_by_role("button", name="Next").click()
    await gil.get_by_role("button", name="Yes, you may record me").click()
    # Nobody let them in: the window is open, so they are in the room.
    await expect(gil.locator("#room")).to_be_visible()
    for page in (leader, ann):
        await expect(page.locator("#private-notes")).to_contain_text(
            "Dr. Gil joins as a guest speaker."
        )
    await expect(gil.locator("#guest-words")).to_contain_text('see group members as "Group member"')
    await expect(gil.locator("#chat-log")).to_contain_text("Group member: Hello all")
    assert "Annabel" not in await gil.locator("#room").inner_text()
    await check_page(gil, "guest-speaker-room")

    await leader.get_by_role("button", name="Let guest speakers see names").click()
    await expect(leader.locator("#guest-names-state")).to_contain_text(
        "Guest speakers see group members' names."
    )
    await expect(gil.locator("#chat-log")).to_contain_text("Annabel: Hello all")
    await expect(gil.locator("#guest-words")).to_contain_text("lets you see group members' names")
    await check_page(leader, "guest-speaker-leader")


async def test_a_guest_speaker_who_comes_early_is_told_when_and_comes_in_by_themselves(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Tuesday group")
    await leader_opens_room(leader, "Tuesday group")
    session_id = leader.url.rstrip("/").split("/")[-1]
    clinician = next(iter(await server.services.accounts.all()))
    session = await server.services.sessions.get(session_id)
    starts = now_us() + 8 * SECOND_US
    _invite, token = await server.services.links.create(
        session, clinician, "guest_speaker", window=(starts, starts + 3600 * SECOND_US)
    )
    gil = await new_page(browser, server)
    await gil.goto(f"/join/{token}")
    await gil.get_by_label("What should we call you?").fill("Dr. Gil")
    await gil.get_by_role("button", name="Next").click()
    await expect(gil.get_by_text("Your camera works.")).to_be_visible()
    await gil.get_by_role("button", name="Next").click()
    await gil.get_by_role("button", name="No, do not record me").click()
    await expect(gil.locator("#waiting-text")).to_contain_text("Your time to speak starts at")
    await check_page(gil, "guest-speaker-early")
    # Nobody lets them in: when their time comes, they are in the room.
    await expect(gil.locator("#room")).to_be_visible()
    await expect(leader.locator("#private-notes")).to_contain_text(
        "Dr. Gil joins as a guest speaker."
    )
