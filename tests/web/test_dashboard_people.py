"""The dashboard's people: a co-leader chosen when the session is made, and invite links
labelled with a short note only staff see."""

from __future__ import annotations

import aiohttp
from playwright.async_api import Browser, expect

from imr_live.domain.accounts import Accounts
from imr_live.domain.roles import StaffRole
from tests.live.harness import PASSWORD, Server
from tests.web.people import check_page, clinician_signs_in, new_page


async def test_leader_adds_a_co_leader_and_labels_a_link(server: Server, browser: Browser) -> None:
    accounts = Accounts(server.services.db)
    await accounts.add("robin", PASSWORD, StaffRole.CO_LEADER)
    await accounts.add("sue", PASSWORD, StaffRole.SUPERVISOR)
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)

    await expect(leader.get_by_label("robin (co-leader)")).to_be_visible()
    await expect(leader.get_by_label("sue", exact=False)).to_have_count(0)
    await leader.get_by_label("Title", exact=True).fill("Monday group")
    await leader.get_by_label("robin (co-leader)").check()
    await leader.get_by_role("button", name="Create session").click()
    card = leader.locator(".session-list > li", has_text="Monday group")
    await expect(card).to_contain_text("Co-leaders: robin")

    note = card.get_by_label("Client record number")
    await note.fill("Ann Smith")
    await card.get_by_role("button", name="Make a link").click()
    await expect(card.get_by_role("alert")).to_contain_text("no spaces")
    await expect(card.locator(".s-invite-list li")).to_have_count(0)
    await note.fill("A-17")
    await card.get_by_role("button", name="Make a link").click()
    await expect(card.get_by_label("New link 1: Client (A-17)")).to_be_visible()
    await expect(card.locator(".s-invite-list")).to_contain_text("Link 1: Client (A-17)")
    await check_page(leader, "50-dashboard-co-leader-and-labelled-link")

    robin = await new_page(browser, server)
    await robin.goto("/login")
    await robin.get_by_label("Username").fill("robin")
    await robin.get_by_label("Password").fill(PASSWORD)
    await robin.get_by_role("button", name="Sign in").click()
    await expect(robin.get_by_role("link", name="Open the room: Monday group")).to_be_visible()


async def test_staff_list_is_for_signed_in_staff_and_names_who_may_co_lead(
    server: Server,
) -> None:
    accounts = Accounts(server.services.db)
    await accounts.add("dana", PASSWORD, StaffRole.CLINICIAN)
    await accounts.add("robin", PASSWORD, StaffRole.CO_LEADER)
    await accounts.add("sue", PASSWORD, StaffRole.SUPERVISOR)
    _account, token = await accounts.login("dana", PASSWORD)
    async with aiohttp.ClientSession(base_url=server.url) as http:
        anonymous = await http.get("/api/staff")
        signed_in = await http.get("/api/staff", headers={"Authorization": f"Bearer {token}"})
        body = await signed_in.json()
    assert anonymous.status == 401
    assert {(a["username"], a["role"]) for a in body["staff"]} == {
        ("dana", "clinician"),
        ("robin", "co_leader"),
    }
    assert all(set(a) == {"id", "username", "role"} for a in body["staff"])


async def test_after_create_the_new_session_is_on_screen_and_has_focus(
    server: Server, browser: Browser
) -> None:
    dana = await server.staff("dana")
    for title in ("Monday group", "Wednesday group", "Friday group"):
        await dana.create_session(title=title)
    page = await new_page(browser, server, phone=True)
    await page.goto("/login")
    await page.get_by_label("Username").fill("dana")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("link", name="Open the room: Friday group")).to_be_visible()

    title = page.get_by_label("Title", exact=True)
    await title.fill("Tuesday group")
    await page.get_by_role("button", name="Create session").click()
    heading = page.get_by_role("heading", name="Tuesday group")
    await expect(heading).to_be_focused()
    await expect(heading).to_be_in_viewport()
    card = page.locator(".session-list > li", has=heading)
    await expect(card.get_by_label("Client record number")).to_be_visible()
    await check_page(page, "51-dashboard-after-create")


async def test_a_new_link_stays_on_screen_until_the_page_is_left(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await leader.get_by_label("Title", exact=True).fill("Monday group")
    await leader.get_by_role("button", name="Create session").click()
    monday = leader.locator(".session-list > li", has_text="Monday group")
    await monday.get_by_role("button", name="Make a link").click()
    link = monday.get_by_label("New link 1: Client")
    await expect(link).to_be_visible()
    await expect(monday.get_by_text("the link is shown only once")).to_be_visible()
    shown = await link.input_value()

    # Creating another session does not take away the link not yet copied.
    await leader.get_by_label("Title", exact=True).fill("Friday group")
    await leader.get_by_role("button", name="Create session").click()
    await expect(leader.get_by_role("heading", name="Friday group")).to_be_focused()
    await expect(monday.get_by_label("New link 1: Client")).to_have_value(shown)

    # Only once: after a reload the list names the link but no longer shows it.
    await leader.reload()
    await monday.get_by_role("button", name="Invite people to Monday group").click()
    await expect(monday.locator(".s-invite-list")).to_contain_text("Link 1: Client")
    await expect(monday.get_by_label("New link 1: Client")).to_have_count(0)
    assert shown not in await leader.content()
