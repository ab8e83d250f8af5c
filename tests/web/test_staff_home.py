"""Each staff role lands on the home that fits it and reaches the review pages by clicking."""

from __future__ import annotations

import re

import aiohttp
from playwright.async_api import Browser, Page, expect

from imr_live.domain.roles import StaffRole
from imr_live.edges.live_socket import STAFF_COOKIE
from tests.live.harness import PASSWORD, Server, Staff
from tests.web.people import new_page

DAY_US = 86_400 * 1_000_000


async def signs_in(page: Page, username: str) -> None:
    """Through the login page, as a person would."""
    await page.goto("/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()


async def held_session(dana: Staff, title: str) -> str:
    """A session dana leads from start to end; its id."""
    sid = str((await dana.create_session(title=title))["id"])
    leader = await dana.connect(sid)
    await leader.ok("join")
    await leader.ok("session.end")
    await leader.close()
    return sid


async def test_clinician_sees_today_upcoming_and_reviews_a_past_session(
    server: Server, browser: Browser
) -> None:
    dana = await server.staff("dana")
    await dana.create_session(title="Today group")
    later = (await dana.create_session(title="Later group"))["scheduled_at"] + 3 * DAY_US
    await dana.create_session(title="Next week group", scheduled_at=later)
    await held_session(dana, "Last week group")

    page = await new_page(browser, server)
    await signs_in(page, "dana")
    await expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    today = page.locator("section", has=page.get_by_role("heading", name="Today"))
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Upcoming"))
    past = page.locator("section", has=page.get_by_role("heading", name="Past"))
    await expect(today).to_contain_text("Today group")
    await expect(upcoming).to_contain_text("Next week group")
    await expect(upcoming).not_to_contain_text("Today group")
    await expect(past.get_by_role("link", name="Open the room: Last week group")).to_be_hidden()

    await past.get_by_role("link", name="Review: Last week group").click()
    await expect(page.get_by_role("heading", name="Timeline: Last week group")).to_be_visible()
    await page.get_by_role("link", name="Program report").click()
    await expect(page.get_by_role("heading", name="Program report")).to_be_visible()


async def test_supervisor_lands_on_the_program_report_and_reaches_any_session_in_two_clicks(
    server: Server, browser: Browser
) -> None:
    dana = await server.staff("dana")
    eli = await server.staff("eli")
    await held_session(dana, "Dana's group")
    await held_session(eli, "Eli's group")
    await server.staff("sue", StaffRole.SUPERVISOR)

    page = await new_page(browser, server)
    await signs_in(page, "sue")
    await expect(page.get_by_role("heading", name="Program report")).to_be_visible()
    assert page.url.endswith("/review/program")
    await expect(page.get_by_role("heading", name="Create a session")).to_have_count(0)

    await page.get_by_role("link", name="eli", exact=True).click()
    await expect(page.get_by_role("heading", name="eli")).to_be_focused()
    await page.get_by_role("link", name=re.compile(r"^Eli's group, ")).click()
    await expect(page.get_by_role("heading", name="Timeline: Eli's group")).to_be_visible()

    await page.goto("/staff")
    await expect(page.get_by_role("heading", name="Program report")).to_be_visible()


async def test_home_address_sends_each_role_to_its_own_start(server: Server) -> None:
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    ada = await server.staff("ada", StaffRole.ADMIN)
    dana = await server.staff("dana")
    for who, home in ((sue, "/review/program"), (ada, "/review/program"), (dana, "/staff")):
        cookie = {"Cookie": f"{STAFF_COOKIE}={who.token}"}
        async with who.http.get("/", headers=cookie, allow_redirects=False) as resp:
            assert (resp.status, resp.headers["Location"]) == (302, home)
    async with aiohttp.ClientSession(base_url=server.url) as stranger:
        async with stranger.get("/", allow_redirects=False) as resp:
            assert resp.headers["Location"] == "/login"
