"""Safety in the room as people see it in Chromium: the check at join, help, drops."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    check_page,
    client_waits,
    leader_with_two_links,
    new_page,
)

PLACE = "Flat 3, 12 Elm Street"
NUMBER = "555 0101"


async def says_where_they_are(page: Page, place: str, number: str, contact: str) -> None:
    """The client fills in the safety check in the waiting room."""
    await expect(
        page.get_by_role("heading", name="Before we start: how to reach you")
    ).to_be_visible()
    await page.get_by_label("Where are you today?").fill(place)
    await page.get_by_label("A phone number we can call if the video stops").fill(number)
    await page.get_by_role("button", name="Save").click()
    await expect(page.get_by_text("This is your first time.")).to_be_visible()
    await page.get_by_label("Someone we can call in an emergency (name and number)").fill(contact)
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#safety-check")).to_be_hidden()


async def test_help_reaches_only_the_leader_and_a_drop_shows_the_callback_number(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Tuesday group")
    ann = await new_page(browser, server)
    await client_waits(ann, first, "Ann")
    await check_page(ann, "safety-check")
    await says_where_they_are(ann, PLACE, NUMBER, "Rosa 555 0199")
    await admit(leader, "Ann")
    ben = await new_page(browser, server)
    await client_waits(ben, second, "Ben")
    await says_where_they_are(ben, "at home", "555 0202", "Sam 555 0299")
    await admit(leader, "Ben")
    await expect(ann.locator("#room")).to_be_visible()
    await expect(ben.locator("#room")).to_be_visible()
    # Crisis lines are on the client's page (the default: 988 and 911).
    await expect(ann.get_by_role("link", name="988", exact=True)).to_be_visible()

    await ann.keyboard.press("Alt+h")
    # The notice under the button (the screen-reader announcer says the same words, hidden).
    await expect(ann.locator("#help-sent")).to_contain_text("The leaders know you need help.")
    alert = leader.get_by_role("alert").filter(has_text="Ann needs help now")
    await expect(alert).to_contain_text(PLACE)
    await expect(alert).to_contain_text(NUMBER)

    # Ben's page goes on working but shows nothing of it; no address carries Ann's place.
    await leader.get_by_label("Message", exact=True).fill("Short break, everyone.")
    await leader.locator("#chat-form button").click()
    await expect(ben.get_by_text("Short break, everyone.")).to_be_visible()
    ben_text = await ben.content()
    assert "needs help" not in ben_text and PLACE not in ben_text and NUMBER not in ben_text
    for page in (leader, ann, ben):
        assert "Elm" not in page.url and "0101" not in page.url

    # Ben loses his connection: he is told who will call him and at which number.
    await ben.context.set_offline(True)
    await expect(
        ben.get_by_text("We lost the video. The leader will call you at 555 0202.")
    ).to_be_visible()
    # Ann's page closes: the leader sees who dropped, since when and her number.
    await ann.context.close()
    dropped = leader.get_by_role("alert").filter(has_text="Ann's video dropped")
    await expect(dropped).to_contain_text(f"Call back: {NUMBER}")


async def test_a_lead_takes_a_client_who_asked_for_help_into_a_private_talk_and_back(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Thursday group")
    pages = []
    for link, name, number in ((first, "Ann", NUMBER), (second, "Ben", "555 0202")):
        page = await new_page(browser, server)
        await client_waits(page, link, name)
        await says_where_they_are(page, "at home", number, "Rosa 555 0199")
        await admit(leader, name)
        await expect(page.locator("#room")).to_be_visible()
        pages.append(page)
    ann, ben = pages

    await ann.get_by_role("button", name="I need help now").click()
    await leader.get_by_role("button", name="Talk privately with Ann").click()
    await expect(
        ann.get_by_text("Private talk with dana. The group cannot see or hear you.")
    ).to_be_visible()
    await expect(
        ben.get_by_text("A leader is having a private talk. The group carries on.")
    ).to_be_visible()
    await expect(leader.get_by_role("button", name="Start a private talk")).to_be_disabled()

    await leader.get_by_role("button", name="Back to the group").click()
    await expect(ann.locator("#private-talk-note")).to_be_hidden()
    await expect(ben.locator("#private-talk-note")).to_be_hidden()
    await expect(leader.get_by_role("button", name="Back to the group")).to_be_hidden()


async def test_on_a_phone_the_check_waits_behind_one_line_and_the_room_comes_first(
    server: Server, browser: Browser
) -> None:
    leader, first, _second = await leader_with_two_links(server, browser, "Tuesday group")
    ann = await new_page(browser, server, phone=True)
    await client_waits(ann, first, "Ann")
    await admit(leader, "Ann")  # before Ann answered the check
    await expect(ann.locator("#room")).to_be_visible()

    prompt = ann.get_by_text("Please tell the leaders how to reach you today.")
    await expect(prompt).to_be_visible()
    await expect(ann.get_by_label("Where are you today?")).to_be_hidden()
    # The room starts high on the first screen (the form used to push it a screen down).
    room_top = await ann.locator("#room").bounding_box()
    assert room_top is not None and room_top["y"] < 740 * 0.6, room_top

    await ann.get_by_role("button", name="Tell them").click()
    dialog = ann.get_by_role("dialog", name="Before we start: how to reach you")
    await expect(dialog).to_be_visible()
    await check_page(ann, "safety-check-dialog-phone")
    await dialog.get_by_label("Where are you today?").fill(PLACE)
    await dialog.get_by_role("button", name="Later").click()
    await expect(dialog).to_be_hidden()
    await ann.get_by_role("button", name="Tell them").click()
    await expect(dialog.get_by_label("Where are you today?")).to_have_value(PLACE)
    await dialog.get_by_label("A phone number we can call if the video stops").fill(NUMBER)
    await dialog.get_by_label("Someone we can call in an emergency (name and number)").fill(
        "Rosa 1"
    )
    await dialog.get_by_role("button", name="Save").click()
    await expect(dialog).to_be_hidden()
    await expect(prompt).to_be_hidden()

    await ann.keyboard.press("Alt+h")
    alert = leader.get_by_role("alert").filter(has_text="Ann needs help now")
    await expect(alert).to_contain_text(PLACE)
