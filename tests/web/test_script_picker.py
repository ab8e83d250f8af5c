"""Creating a group's next session, the script picker offers the next session of its plan.

Dana's "Tuesday group" met last week for the first session of the
open-enrollment group plan (stored with the session). When she types that title
again on her page, the picker chooses the plan's second session and says why;
the session she creates keeps the same plan (not the closed plan the curriculum
would pick for that script alone). Another title gets no offer.
"""

from __future__ import annotations

from playwright.async_api import Browser, expect

from imr_live.domain.clock import now_us
from tests.live.harness import Server
from tests.reports.course import curriculum_of
from tests.web.people import check_page, new_page
from tests.web.test_staff_home import signs_in

DAY_US = 86_400 * 1_000_000


async def test_the_picker_offers_the_groups_next_session(server: Server, browser: Browser) -> None:
    dana = await server.staff("dana")
    opened = curriculum_of(server).plan("group-open-enrollment")
    first, second = opened.session_refs[:2]
    last_week = now_us() - 7 * DAY_US
    await dana.create_session(
        title="Tuesday group", script_ref=first, plan_id=opened.id, scheduled_at=last_week
    )

    page = await new_page(browser, server)
    await signs_in(page, "dana")
    await expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    picker = page.locator("#new-script")
    await page.locator("#new-title").fill("Thursday group")
    await page.locator("#new-title").press("Tab")
    await page.locator("#new-title").fill("Tuesday group")
    await page.locator("#new-title").press("Tab")
    await expect(picker).to_have_value(second)
    title = await page.locator(f'#new-script option[value="{second}"]').text_content()
    await expect(page.locator("#new-script-hint")).to_have_text(
        f"Next in this group's plan ({opened.title}): {title}."
    )
    await check_page(page, "staff-next-script")
    await page.get_by_role("button", name="Create session").click()
    await expect(page.locator("#new-script-hint")).to_have_text("")

    _, listed = await dana.api("GET", "/api/sessions")
    made = max(listed["sessions"], key=lambda s: s["scheduled_at"])
    assert made["scheduled_at"] > last_week and made["script_ref"] == second
    _, plan = await dana.api("GET", f"/api/sessions/{made['id']}/plan")
    assert (plan["plan_id"], plan["chosen_by"]) == (opened.id, "given")
    assert plan["next_session_ref"] == opened.session_refs[2]

    await page.locator("#new-title").fill("Thursday group")
    await page.locator("#new-title").press("Tab")
    await expect(page.locator("#new-script-hint")).to_have_text("")
    await expect(picker).to_have_value("")
