"""On a 360 px phone nothing makes the page scroll sideways: the client's way in at 200 %
text, and the review pages a supervisor reads (wide tables scroll in their own region)."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server
from tests.web.people import check_page, leader_with_two_links, new_page
from tests.web.test_staff_home import held_session, signs_in

SIDEWAYS = "() => document.documentElement.scrollWidth - innerWidth"


async def fits(page: Page) -> None:
    """The page is no wider than the screen."""
    assert await page.evaluate(SIDEWAYS) <= 0, await page.evaluate(
        "() => [document.documentElement.scrollWidth, innerWidth]"
    )


async def test_the_way_in_fits_a_phone_at_double_text_size(
    server: Server, browser: Browser
) -> None:
    _leader, link, _ = await leader_with_two_links(server, browser, "Tuesday group")
    ann = await new_page(browser, server, phone=True)
    await ann.goto(link)
    await ann.evaluate("document.documentElement.style.fontSize = '200%'")
    await fits(ann)
    await ann.get_by_label("What should we call you?").fill("Ann")
    await ann.get_by_role("button", name="Next").click()
    await expect(
        ann.get_by_role("heading", name="Check your camera and microphone")
    ).to_be_visible()
    await expect(ann.get_by_text("Your camera works.")).to_be_visible()
    await fits(ann)
    await ann.get_by_role("button", name="Next").click()
    await expect(ann.get_by_role("button", name="No, do not record me")).to_be_visible()
    await fits(ann)


async def test_a_supervisor_reads_the_review_pages_on_a_phone(
    server: Server, browser: Browser
) -> None:
    dana = await server.staff("dana")
    sid = await held_session(dana, "Dana's group")
    await server.staff("sue", StaffRole.SUPERVISOR)
    sue = await new_page(browser, server, phone=True)
    await signs_in(sue, "sue")
    await expect(sue.get_by_role("heading", name="Program report")).to_be_visible()
    await fits(sue)
    table = sue.get_by_role(
        "region", name="Sessions, attendance and fidelity signals per clinician"
    )
    await expect(table.get_by_role("table")).to_be_visible()
    await table.focus()
    await sue.keyboard.press("ArrowRight")
    await check_page(sue, "80-phone-program-report")
    await sue.goto(f"/review/sessions/{sid}")
    await expect(sue.get_by_role("heading", name="Timeline: Dana's group")).to_be_visible()
    await fits(sue)
