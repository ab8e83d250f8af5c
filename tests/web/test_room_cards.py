"""Cards that last: a client's own home practice and goals come back after a reload;
"Deny" in the waiting room asks first, so a misclick turns nobody away."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import (
    admit,
    check_page,
    client_admitted,
    client_waits,
    leader_with_two_links,
    new_page,
    open_tool,
)


async def test_client_sees_their_practice_and_goal_again_after_a_reload(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Tuesday group")
    alex = await client_admitted(browser, server, leader, first, "Alex")
    sam = await client_admitted(browser, server, leader, second, "Sam")

    await open_tool(leader, "Practice and goals")
    await leader.locator("#assign-who").select_option(label="Alex")
    await leader.get_by_label("Home practice", exact=True).fill("Walk ten minutes each day")
    await leader.get_by_role("button", name="Give home practice").click()
    await leader.locator("#goal-who").select_option(label="Alex")
    await leader.get_by_label("Their recovery goal, in their words").fill("Sleep better")
    await leader.get_by_label("A short-term goal on the way (optional)").fill("Bed by 11")
    await leader.get_by_label("Steps to get there, one on each line (optional)").fill(
        "No phone after 10"
    )
    await leader.get_by_role("button", name="Note the goal").click()

    card = alex.get_by_role("region", name="My home practice and goals")
    await expect(card).to_contain_text("Walk ten minutes each day")
    await expect(card).to_contain_text("Sleep better")
    await alex.reload()
    await expect(alex.locator("#room")).to_be_visible()
    await expect(card).to_be_visible()
    await expect(card.get_by_role("listitem").first).to_have_text("Walk ten minutes each day")
    await expect(card).to_contain_text("Sleep better")
    await expect(card).to_contain_text("No phone after 10")
    await check_page(alex, "70-client-my-practice-after-reload")

    # Closed, it stays closed until something new comes; it is Alex's alone.
    await card.get_by_role("button", name="Close this card").click()
    await expect(card).to_be_hidden()
    await expect(alex.get_by_role("heading", name="Tuesday group")).to_be_focused()
    await leader.locator("#assign-who").select_option(label="Alex")
    await leader.get_by_label("Home practice", exact=True).fill("Call a friend")
    await leader.get_by_role("button", name="Give home practice").click()
    await expect(card).to_contain_text("Call a friend")
    await expect(sam.get_by_role("region", name="My home practice and goals")).to_be_hidden()
    await expect(sam.locator("#room")).not_to_contain_text("Walk ten minutes each day")


async def test_deny_asks_first_and_no_keeps_the_person_waiting(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Tuesday group")
    alex = await new_page(browser, server)
    await client_waits(alex, first, "Alex")

    await leader.get_by_role("button", name="Deny Alex").click()
    dialog = leader.get_by_role("dialog", name="Turn Alex away?")
    await expect(dialog).to_be_visible()
    await expect(dialog.get_by_role("button", name="No, keep Alex waiting")).to_be_focused()
    await check_page(leader, "71-leader-deny-dialog")
    await leader.keyboard.press("Enter")  # the focused, safe answer
    await expect(dialog).to_be_hidden()
    await expect(leader.get_by_role("button", name="Deny Alex")).to_be_focused()
    await leader.get_by_role("button", name="Deny Alex").click()
    await leader.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    await expect(alex.get_by_role("heading", name="You are in the waiting room")).to_be_visible()
    await admit(leader, "Alex")
    await expect(alex.locator("#room")).to_be_visible()

    sam = await new_page(browser, server)
    await client_waits(sam, second, "Sam")
    await leader.get_by_role("button", name="Deny Sam").click()
    await (
        leader.get_by_role("dialog", name="Turn Sam away?")
        .get_by_role("button", name="Yes, turn Sam away")
        .click()
    )
    await expect(sam.get_by_role("heading", name="The leader could not let you in")).to_be_visible()
    await expect(leader.get_by_role("button", name="Deny Sam")).to_have_count(0)
    await expect(leader.locator("#waiting-empty")).to_be_visible()
    # A reload, on either side, does not put Sam back in the waiting room.
    await sam.reload()
    await expect(sam.get_by_role("heading", name="The leader could not let you in")).to_be_visible()
    await expect(sam.get_by_text("did not let you in to this session")).to_have_count(0)
    await check_page(sam, "72-denied-after-reload")
    await leader.reload()
    await expect(leader.locator("#waiting-empty")).to_be_visible()
    await expect(leader.get_by_role("button", name="Admit Sam")).to_have_count(0)
