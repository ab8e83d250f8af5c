"""A co-leader who comes by join link gets the script and runs role plays; clients do not."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    clinician_signs_in,
    create_session,
    leader_opens_room,
    new_page,
    open_tool,
)

JOIN_TOKEN = "X-Join-Token"


async def script_status(server: Server, session_id: str, token: str | None) -> int:
    headers = {JOIN_TOKEN: token} if token is not None else {}
    async with aiohttp.ClientSession(base_url=server.url) as http:
        async with http.get(f"/api/sessions/{session_id}/script", headers=headers) as resp:
            await resp.read()
            return resp.status


async def test_script_answers_a_co_leaders_link_and_refuses_everyone_else(server: Server) -> None:
    dana = await server.staff("dana")
    ref = server.services.scripts.curriculum.session_refs[0]
    sid = (await dana.create_session(script_ref=ref))["id"]
    other = (await dana.create_session(script_ref=ref, title="Other group"))["id"]
    co_leader = await dana.invite(sid, role="co_leader")
    client = await dana.invite(sid, role="client")
    observer = await dana.invite(sid, role="observer")
    elsewhere = await dana.invite(other, role="co_leader")

    assert await script_status(server, sid, co_leader) == 200
    assert await script_status(server, sid, client) == 403
    assert await script_status(server, sid, observer) == 403
    assert await script_status(server, sid, elsewhere) == 403
    assert await script_status(server, sid, co_leader + "x") == 401
    assert await script_status(server, sid, None) == 401
    invite_id = co_leader.partition(".")[0]
    await dana.api("DELETE", f"/api/sessions/{sid}/invites/{invite_id}")
    assert await script_status(server, sid, co_leader) == 401


async def co_leader_by_link_in_the_room(
    server: Server, browser: Browser, *roles: str
) -> tuple[Page, Page]:
    """dana's "Tuesday group" with a link per role in ``roles`` and a co-leader link, which
    Robin opens (she has no staff account); both in the room."""
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Tuesday group")
    card = leader.locator(".session-list > li", has_text="Tuesday group")
    for role in roles:
        await card.get_by_label("Role", exact=True).select_option(role)
        await card.get_by_role("button", name="Make a link").click()
    await card.get_by_label("Role", exact=True).select_option("co_leader")
    await card.get_by_role("button", name="Make a link").click()
    link = await card.get_by_label(f"New link {len(roles) + 1}: Co-leader").input_value()
    await leader_opens_room(leader, "Tuesday group")

    robin = await new_page(browser, server)
    await robin.goto(link)
    await robin.get_by_label("What should we call you?").fill("Robin")
    await robin.get_by_role("button", name="Next").click()
    await expect(robin.get_by_text("Your camera works.")).to_be_visible()
    await robin.get_by_role("button", name="Next").click()
    await robin.get_by_role("button", name="No, do not record me").click()
    await expect(leader.locator("#people-list")).to_contain_text("Robin")  # leads skip waiting
    return leader, robin


async def test_co_leader_by_link_starts_a_role_play(server: Server, browser: Browser) -> None:
    leader, robin = await co_leader_by_link_in_the_room(server, browser)
    await open_tool(robin, "Role play")
    await expect(robin.get_by_role("heading", name="Start a role play")).to_be_visible()
    await expect(robin.get_by_text("This session's script has no role plays.")).to_be_hidden()
    await expect(robin.get_by_role("combobox", name="Role play", exact=True)).not_to_have_value("")
    play = await robin.get_by_role("combobox", name="Role play", exact=True).evaluate(
        "(s) => s.selectedOptions[0].textContent"
    )
    await robin.get_by_role("button", name="Start role play").click()
    await expect(leader.locator("#roleplay-title")).to_have_text(f"Role play: {play}")


async def test_co_leader_by_link_can_call_a_clients_phone(server: Server, browser: Browser) -> None:
    _leader, robin = await co_leader_by_link_in_the_room(server, browser, "client")
    await expect(robin.get_by_role("heading", name="Call a phone")).to_be_visible()
    who = robin.get_by_label("Who to call")
    await expect(who.locator("option")).to_have_text(["client link 1"])
    await robin.get_by_label("Their phone number").fill("+44 20 7946 0000")
    await robin.get_by_role("button", name="Call", exact=True).click()
    # This server has no gateway: the answer a lead gets, not "please sign in".
    await expect(robin.locator("#phone-state")).to_have_text(
        "this clinic has no phone gateway set up"
    )
