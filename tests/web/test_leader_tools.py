"""The leader's private records in the room: review home practice, update a goal, rate
progress on the IMR scale; a client rates themselves ("How am I doing?"); the next
session follows up practice and goals from an earlier one (same client_ref).

Each control is driven through the real pages; the test checks what the people see and
the row written to the session log. Every new state passes axe-core and is photographed.
"""

from __future__ import annotations

import re
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    check_page,
    client_admitted,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    leader_with_two_links,
    make_invite,
    new_page,
    open_tool,
)


def session_id(page: Page) -> str:
    """The session id from the leader's room address."""
    found = re.search(r"/room/([^/?#]+)", page.url)
    assert found, page.url
    return found.group(1)


async def logged(server: Server, sid: str, kind: str) -> list[dict[str, Any]]:
    """The data of every log row of one kind, oldest first."""
    return [e.data for e in await server.services.log.read(sid) if e.kind == kind]


async def rate_all(page: Page, container: str, score: int, not_applying: int | None = None) -> None:
    """Choose answer ``score`` for each of the 15 items; item ``not_applying`` "does not apply"."""
    groups = page.locator(f"{container} fieldset")
    await expect(groups).to_have_count(15)
    for i in range(15):
        answer = re.compile(r"^Does not apply") if i + 1 == not_applying else f"{score}."
        await groups.nth(i).get_by_label(answer).check()


async def test_leader_reviews_practice_and_moves_a_goal_on(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Thursday group")
    ann = await client_admitted(browser, server, leader, link, "Ann")
    sid = session_id(leader)

    await open_tool(leader, "Practice and goals")
    await leader.get_by_label("Home practice", exact=True).fill("Notice one stress sign a day")
    await leader.get_by_role("button", name="Give home practice").click()
    practice = leader.locator("#assign-list li", has_text="Notice one stress sign a day")
    await expect(practice).to_contain_text("Not reviewed yet")
    mine = ann.get_by_role("region", name="My home practice and goals")
    await expect(mine).to_contain_text("Notice one stress sign a day")

    await practice.get_by_label("Note about how it went (optional)").fill("Four days of seven")
    await practice.get_by_role("button", name="Ann did it", exact=True).click()
    await expect(practice).to_contain_text("Reviewed: done ✓ \N{EN DASH} Four days of seven")
    [given] = await logged(server, sid, "assignment.given")
    [reviewed] = await logged(server, sid, "assignment.reviewed")
    assert reviewed["assignment_id"] == given["assignment_id"]
    assert (reviewed["done"], reviewed["note"]) == (True, "Four days of seven")

    await leader.get_by_label("Their recovery goal, in their words").fill("Walk to the shop")
    await leader.get_by_role("button", name="Note the goal").click()
    goal = leader.locator("#goal-list li", has_text="Walk to the shop")
    await expect(goal).to_contain_text("Now: just noted")
    await goal.get_by_label("Progress", exact=True).select_option(label="Achieved")
    await goal.get_by_role("button", name="Save progress for Ann").click()
    await expect(goal).to_contain_text("Now: achieved ✓")
    [updated] = await logged(server, sid, "goal.updated")
    assert updated["status"] == "achieved"
    await check_page(leader, "20-leader-practice-and-goal")

    # A reloaded leader page reads this session's records back from the log.
    await leader.reload()
    await expect(leader.locator("#assign-list")).to_contain_text("Reviewed: done ✓")
    await expect(leader.locator("#goal-list")).to_contain_text("Now: achieved ✓")


async def test_leader_and_client_each_rate_progress_on_the_imr_scale(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Friday group")
    ann = await client_admitted(browser, server, leader, link, "Ann")
    sid = session_id(leader)

    await open_tool(leader, "Scale")
    await leader.get_by_role("button", name="Rate a client on the scale").click()
    await leader.get_by_role("button", name="Save the rating").click()
    await expect(leader.locator("#scale-error")).to_have_text(
        re.compile(r"^Please answer question 1 ")
    )
    assert await logged(server, sid, "scale.recorded") == []
    await rate_all(leader, "#scale-items", 4)
    await leader.get_by_role("button", name="Save the rating").click()
    await expect(leader.locator("#scale-done")).to_have_text(
        "Rating saved for Ann: mean 4.00 over 15 items."
    )
    await expect(leader.locator("#scale-form")).to_be_hidden()
    await expect(leader.locator("#rating-list")).to_contain_text(
        "Ann, rated by the clinician: mean 4.00 over 15 items"
    )
    await check_page(leader, "21-leader-scale-saved")

    await expect(ann.get_by_role("heading", name="How am I doing?")).to_be_visible()
    await ann.get_by_role("button", name="Answer the questions").click()
    first = ann.get_by_role("group", name=re.compile(r"^1 of 15\. How far have you got"))
    await expect(first.get_by_role("radio", name="5. The goal is reached.")).to_be_visible()
    await rate_all(ann, "#self-items", 3, not_applying=13)
    await check_page(ann, "22-client-how-am-i-doing")
    await ann.get_by_role("button", name="Save my answers").click()
    await expect(ann.get_by_text("Thank you. Your answers are saved.")).to_be_visible()
    await expect(ann.locator("#self-form")).to_be_hidden()
    await expect(leader.locator("#rating-list")).to_contain_text(
        "Ann rated themselves: mean 3.00 over 14 items"
    )
    await check_page(ann, "23-client-rating-saved")

    ratings = await logged(server, sid, "scale.recorded")
    assert [(r["rater"], r["total"], r["rated_by_role"]) for r in ratings] == [
        ("clinician", 60, "leader"),
        ("client", 42, "client"),
    ]
    assert ratings[1]["items"] == [3] * 12 + [None, 3, 3]


async def test_leader_marks_the_module_completed_with_a_reason(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Saturday group")
    await client_admitted(browser, server, leader, link, "Ann")
    sid = session_id(leader)
    await open_tool(leader, "Scale")  # the module mark sits with the ratings
    form = leader.locator("#mark-form")
    await form.get_by_role("button", name="Mark the module completed").click()
    await expect(leader.locator("#mark-error")).to_have_text(
        "Please say why the module counts as completed."
    )
    assert await logged(server, sid, "module.completed") == []
    await form.get_by_label("Why it counts as completed").fill("Did the handout at home")
    await form.get_by_role("button", name="Mark the module completed").click()
    await expect(leader.locator("#mark-done")).to_have_text("Saved: Ann has completed the module.")
    marks = await logged(server, sid, "module.completed")
    assert [(m["reason"], m["module"]) for m in marks] == [
        ("Did the handout at home", await leader.locator("#mark-module").input_value())
    ]
    await expect(leader.locator("#mark-list")).to_contain_text("Did the handout at home")
    await check_page(leader, "24-leader-module-marked")


async def test_leader_gives_the_suggested_practice_and_a_goal_with_steps(
    server: Server, browser: Browser
) -> None:
    leader, link, _ = await leader_with_two_links(server, browser, "Sunday group")
    await client_admitted(browser, server, leader, link, "Ann")
    sid = session_id(leader)
    ref = (await server.services.sessions.get(sid)).script_ref
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    home = curriculum.session(ref).home_assignment
    await open_tool(leader, "Practice and goals")
    await expect(leader.locator("#assign-suggestion")).to_have_text(home.text)
    await leader.get_by_role("button", name="Use the suggested practice").click()
    await expect(leader.get_by_label("Home practice", exact=True)).to_have_value(home.text)
    await leader.get_by_role("button", name="Give home practice").click()
    await expect(leader.locator("#assign-list")).to_contain_text(home.text)
    await leader.get_by_label("Home practice", exact=True).fill("Call my sister")
    await leader.get_by_role("button", name="Give home practice").click()
    await expect(leader.locator("#assign-list")).to_contain_text("Call my sister")
    given = await logged(server, sid, "assignment.given")
    assert [(g["text"], g.get("ref")) for g in given] == [
        (home.text, home.id),
        ("Call my sister", None),  # typed: not linked to the script
    ]

    await leader.get_by_label("Their recovery goal, in their words").fill("Get back to work")
    await leader.get_by_label("Steps to get there, one on each line (optional)").fill(
        "Call the centre\n\nVisit on Monday"
    )
    await leader.get_by_role("button", name="Note the goal").click()
    await expect(leader.locator("#room-error")).to_have_text(
        "Please write the short-term goal these steps lead to."
    )
    assert await logged(server, sid, "goal.noted") == []
    await leader.get_by_label("A short-term goal on the way (optional)").fill(
        "Volunteer once a week"
    )
    await leader.get_by_role("button", name="Note the goal").click()
    goal = leader.locator("#goal-list li", has_text="Get back to work")
    await expect(goal).to_contain_text(
        "Short-term goal: Volunteer once a week \N{EN DASH} steps: Call the centre; Visit on Monday"
    )
    [noted] = await logged(server, sid, "goal.noted")
    assert noted["short_term"] == [
        {"goal": "Volunteer once a week", "steps": ["Call the centre", "Visit on Monday"]}
    ]
    await expect(leader.get_by_label("Their recovery goal, in their words")).to_have_value("")
    await check_page(leader, "25-leader-goal-with-steps")


async def new_session_with_client_link(leader: Page, title: str, client_ref: str) -> str:
    """From the dashboard: a new session and one client link carrying ``client_ref``."""
    await leader.goto("/staff")
    await create_session(leader, title)
    card = leader.locator("li.card", has=leader.get_by_role("link", name=f"Open the room: {title}"))
    await card.get_by_label("Client record number").fill(client_ref)
    return await make_invite(leader, 1)


async def test_next_session_reviews_practice_given_in_an_earlier_one(
    server: Server, browser: Browser
) -> None:
    leader = await new_page(browser, server)
    await clinician_signs_in(server, leader)
    link = await new_session_with_client_link(leader, "Week 1", "C-0042")
    await leader_opens_room(leader, "Week 1")
    ann = await client_admitted(browser, server, leader, link, "Ann")
    week1 = session_id(leader)
    await open_tool(leader, "Practice and goals")
    await expect(leader.locator("#earlier-empty")).to_have_text(
        "Nothing to follow up from earlier sessions."
    )
    await leader.get_by_label("Home practice", exact=True).fill("Notice one stress sign a day")
    await leader.get_by_role("button", name="Give home practice").click()
    await expect(leader.locator("#assign-list")).to_contain_text("Notice one stress sign a day")
    await leader.get_by_label("Their recovery goal, in their words").fill("Walk to the shop")
    await leader.get_by_role("button", name="Note the goal").click()
    await expect(leader.locator("#goal-list")).to_contain_text("Walk to the shop")
    await leader.get_by_role("button", name="End the session").click()
    await leader.get_by_role("button", name="Yes, end it for everyone").click()
    await expect(ann.get_by_role("heading", name="The session has ended")).to_be_visible()
    [given] = await logged(server, week1, "assignment.given")

    link = await new_session_with_client_link(leader, "Week 2", "C-0042")
    await leader_opens_room(leader, "Week 2")
    await client_admitted(browser, server, leader, link, "Ann")
    week2 = session_id(leader)
    await open_tool(leader, "Practice and goals")
    earlier = leader.locator("#earlier-list")
    practice = earlier.locator("li", has_text="Notice one stress sign a day")
    day = re.compile(r"given \d{1,2} [A-Z][a-z]{2}")
    await expect(practice).to_contain_text("Ann: From an earlier session: Notice one stress sign")
    await expect(practice).to_contain_text(day)
    await expect(practice).to_contain_text("Not reviewed yet")
    goal = earlier.locator("li", has_text="Walk to the shop")
    await expect(goal).to_contain_text(
        "From an earlier session: Walk to the shop \N{EN DASH} noted"
    )
    await expect(leader.locator("#assign-empty")).to_be_visible()  # none given today
    await check_page(leader, "24-leader-follows-up-earlier-practice")

    # Keyboard only: type the note, Tab to "Ann did it", press Enter.
    await practice.get_by_label("Note about how it went (optional)").focus()
    await leader.keyboard.type("Five days of seven")
    await leader.keyboard.press("Tab")
    await expect(practice.get_by_role("button", name="Ann did it", exact=True)).to_be_focused()
    await leader.keyboard.press("Enter")
    await expect(practice).to_have_count(0)
    await expect(leader.locator("#earlier-done")).to_have_text(
        "Saved: Ann's earlier home practice is marked done."
    )
    await expect(leader.locator("#earlier-title")).to_be_focused()
    [reviewed] = await logged(server, week2, "assignment.reviewed")
    assert reviewed["assignment_id"] == given["assignment_id"]
    assert (reviewed["done"], reviewed["note"]) == (True, "Five days of seven")

    await goal.get_by_label("Progress", exact=True).select_option(label="In progress")
    await goal.get_by_role("button", name="Save progress for Ann").click()
    await expect(goal).to_have_count(0)
    await expect(leader.locator("#earlier-empty")).to_be_visible()
    [updated] = await logged(server, week2, "goal.updated")
    assert updated["status"] == "in_progress"
    await check_page(leader, "25-leader-followed-up")

    # The client report counts the earlier practice as done.
    resp = await leader.request.get("/api/reports/clients/C-0042")
    figures = (await resp.json())["figures"]
    assert (figures["assignments_given"], figures["assignments_done"]) == (1, 1)
    # A reload does not offer what this session already followed up.
    await leader.reload()
    await open_tool(leader, "Practice and goals")
    await expect(leader.locator("#earlier-empty")).to_be_visible()
