"""In the browser: the lead clinician holds a graduation ceremony; the graduate says yes first.

Dana picks Alex in the Ceremony tab and starts. Alex is asked on his own screen and
says yes; "Show the next graduate" puts his certificate in front of everyone.
"""

from __future__ import annotations

from playwright.async_api import Browser, expect

from imr_live.domain.ceremony import ACHIEVEMENT, HEADLINE
from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links, open_tool


async def test_a_graduate_who_says_yes_is_shown_to_everyone(
    server: Server, browser: Browser
) -> None:
    leader, first, _second = await leader_with_two_links(server, browser, "Graduation")
    alex = await client_admitted(browser, server, leader, first, "Alex")
    await open_tool(leader, "Ceremony")
    await leader.get_by_role("button", name="Start the ceremony").click()
    await expect(leader.locator("#ceremony-lead-error")).to_have_text(
        "Choose at least one graduate."
    )
    await leader.get_by_role("checkbox", name="Alex").check()
    await leader.get_by_role("button", name="Start the ceremony").click()
    await expect(leader.locator("#ceremony-list")).to_have_text("Alex: not answered yet")
    await expect(leader.get_by_role("button", name="Show the next graduate")).to_be_disabled()

    await expect(alex.get_by_role("heading", name="Graduation ceremony")).to_be_visible()
    await check_page(alex, "ceremony-asked")
    await alex.get_by_role("button", name="Yes, show it").click()
    await expect(
        alex.get_by_text("Thank you. Your certificate will be shown soon.")
    ).to_be_visible()
    await expect(leader.locator("#ceremony-list")).to_have_text("Alex: said yes")
    await leader.get_by_role("button", name="Show the next graduate").click()

    certificate = alex.get_by_role("group", name=HEADLINE)
    await expect(certificate).to_contain_text("Alex (you)")
    await expect(certificate).to_contain_text(ACHIEVEMENT)
    await expect(leader.get_by_role("group", name=HEADLINE)).to_contain_text("Alex")
    await expect(leader.locator("#ceremony-list")).to_have_text("Alex: shown")
    await check_page(leader, "ceremony-leader")
    await leader.get_by_role("button", name="End the ceremony").click()
    await expect(alex.locator("#ceremony")).to_be_hidden()
