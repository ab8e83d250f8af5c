"""What a clinician and a client do in the browser, step by step, as tests use them."""

from __future__ import annotations

import re
from pathlib import Path

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, expect

from imr_live.domain.accounts import Accounts
from imr_live.domain.roles import StaffRole
from tests.live.harness import PASSWORD, Server

WAIT_MS = 20_000
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
expect.set_options(timeout=WAIT_MS)
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 360, "height": 740}


async def new_page(browser: Browser, server: Server, phone: bool = False) -> Page:
    """A page in its own browser context (own cookies), camera and microphone allowed."""
    context = await browser.new_context(base_url=server.url, viewport=PHONE if phone else DESKTOP)
    context.set_default_timeout(WAIT_MS)
    return await context.new_page()


async def check_page(page: Page, name: str) -> None:
    """No axe-core violations; screenshots at desktop and phone width."""
    results = await Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(viewport)
        await page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=True)
    if size is not None:
        await page.set_viewport_size(size)


async def clinician_signs_in(server: Server, page: Page, username: str = "dana") -> None:
    """Create a clinician account and sign in through the login page."""
    await Accounts(server.services.db).add(username, PASSWORD, StaffRole.CLINICIAN)
    await page.goto("/login")
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="My sessions")).to_be_visible()


async def create_session(page: Page, title: str) -> None:
    """Fill in the create form (with a script) and wait for the new session's card."""
    await page.get_by_label("Title", exact=True).fill(title)
    await page.get_by_label("Session script").select_option(index=1)
    await page.get_by_role("button", name="Create session").click()
    await expect(page.get_by_role("link", name=f"Open the room: {title}")).to_be_visible()


async def make_invite(page: Page, number: int) -> str:
    """Make one client link in the open invite panel; returns the link."""
    await page.get_by_role("button", name="Make a link").click()
    link = page.get_by_label(f"New link {number}: Client")
    await expect(link).to_have_value(re.compile(r"/join/"))
    return await link.input_value()


async def client_waits(page: Page, link: str, name: str, consent: bool = True) -> None:
    """Open the link, give a name, pass the check, answer consent, reach the waiting room."""
    await page.goto(link)
    await page.get_by_label("What should we call you?").fill(name)
    await page.get_by_role("button", name="Next").click()
    await expect(page.get_by_text("Your camera works.")).to_be_visible()
    await page.get_by_role("button", name="Next").click()
    answer = "Yes, you may record me" if consent else "No, do not record me"
    await page.get_by_role("button", name=answer).click()
    await expect(page.get_by_role("heading", name="You are in the waiting room")).to_be_visible()


async def leader_opens_room(page: Page, title: str) -> None:
    """From the dashboard into the live room as its leader."""
    await page.get_by_role("link", name=f"Open the room: {title}").click()
    await expect(page.get_by_role("heading", name="Waiting room")).to_be_visible()


async def open_tool(leader: Page, tab: str) -> None:
    """Open one of the leader's tool tabs (People, Role play, Practice and goals, Scale)."""
    await leader.get_by_role("tablist", name="Leader tools").get_by_role("tab", name=tab).click()


async def admit(leader: Page, name: str) -> None:
    """The leader lets someone in from the waiting list."""
    await leader.get_by_role("button", name=f"Admit {name}").click()
    await expect(leader.locator("#people-list .name", has_text=name)).to_be_visible()


async def leader_with_two_links(
    server: Server, browser: Browser, title: str
) -> tuple[Page, str, str]:
    """A signed-in leader with a new scripted session, two client links, in the room."""
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    await create_session(leader, title)
    first, second = await make_invite(leader, 1), await make_invite(leader, 2)
    await leader_opens_room(leader, title)
    return leader, first, second


async def client_admitted(
    browser: Browser, server: Server, leader: Page, link: str, name: str
) -> Page:
    """A client who joined through their link and was let in by the leader."""
    page = await new_page(browser, server)
    await client_waits(page, link, name)
    await admit(leader, name)
    await expect(page.locator("#room")).to_be_visible()
    return page
