"""Polls and celebrations in Chromium: asked by the leader, answered with big choices,
counts shown without names, and a calm celebration only after the client said yes."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links, open_tool
from tests.web.test_leader_tools import logged, session_id


async def test_a_poll_is_answered_counted_and_closed_with_the_results_shown(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Poll group")
    sid = session_id(leader)
    ann = await client_admitted(browser, server, leader, first, "Ann")
    ben = await client_admitted(browser, server, leader, second, "Ben")
    ask = leader.locator("#poll-ask")
    await ask.get_by_label("Question").fill("What helps you relax?")
    await ask.get_by_label("Answers, one on each line").fill("Walks\nMusic\nTalking")
    await ask.get_by_label("Show the counts to everyone").check()
    await ask.get_by_role("button", name="Ask the group").click()

    for page in (ann, ben):
        await expect(page.locator("#poll .poll-question")).to_have_text("What helps you relax?")
    await expect(ann.get_by_role("group", name="Choose one answer")).to_be_visible()
    await ann.get_by_role("radio", name="Music").check()
    await ann.get_by_role("button", name="Send my answer").click()
    await expect(ann.locator("#poll-mine")).to_have_text(
        "Your answer: Music. You can change it until the question closes."
    )
    await ben.get_by_role("radio", name="Walks").check()
    await ben.get_by_role("button", name="Send my answer").click()
    # Everyone sees the counts; no client sees who chose what.
    await expect(ann.locator(".poll-counts")).to_contain_text("2 people answered.")
    await expect(ann.locator(".poll-counts")).to_contain_text("Walks: 1 person")
    await expect(ann.locator("#poll")).not_to_contain_text("Ben")
    await expect(ann.locator(".poll-who")).to_have_count(0)
    await check_page(ann, "60-client-poll-answered")
    who = leader.locator(".poll-who")
    await who.locator("summary").click()
    await expect(who).to_contain_text("Ann: Music")
    await expect(who).to_contain_text("Ben: Walks")
    await check_page(leader, "61-leader-poll-open")

    await leader.get_by_role("button", name="Close and show the results").click()
    for page in (ann, ben):
        await expect(page.get_by_role("heading", name="Results")).to_be_visible()
        await expect(page.locator(".poll-counts")).to_contain_text("Music: 1 person")
    [closed] = await logged(server, sid, "poll.closed")
    assert (closed["answered"], closed["counts"]) == (2, [1, 1, 0])
    answers = await logged(server, sid, "poll.answered")
    assert sorted(a["choices"][0] for a in answers) == [0, 1]

    # Next, a quick rating written in the session's script.
    await leader.get_by_role("button", name="Done: ask another question").click()
    await leader.get_by_text("Questions from today's script").click()
    await leader.get_by_role("button", name="Ask: How hopeful do you feel today?").click()
    await expect(ann.locator("#poll .poll-question")).to_have_text("How hopeful do you feel today?")
    await expect(ann.get_by_role("radio")).to_have_count(5)
    await ann.get_by_role("radio", name="4").check()
    await ann.get_by_role("button", name="Send my answer").click()
    await expect(leader.locator(".poll-counts")).to_contain_text("1 person answered.")
    await expect(ann.locator(".poll-counts")).to_have_count(0)  # counts not shown to the group
    [_typed, asked] = await logged(server, sid, "poll.opened")
    assert asked["ref"] == "recovery-strategies/1/hope-check"


async def test_the_group_celebrates_after_the_client_says_yes(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Graduates")
    sid = session_id(leader)
    ann = await client_admitted(browser, server, leader, first, "Ann")
    ben = await client_admitted(browser, server, leader, second, "Ben")
    await ben.emulate_media(reduced_motion="reduce")
    await open_tool(leader, "Scale")
    form = leader.locator("#mark-form")
    await form.get_by_label("Client").select_option(label="Ann")
    await form.get_by_label("Why it counts as completed").fill("Came to every session")
    await form.get_by_role("button", name="Mark the module completed").click()
    await leader.get_by_role("button", name="Ask Ann to celebrate with the group").click()

    await expect(ann.locator("#celebrate")).to_contain_text("May the group celebrate")
    await expect(ben.locator("#celebrate")).to_be_hidden()
    await check_page(ann, "62-client-celebration-question")
    await ann.get_by_role("button", name="Yes, celebrate").click()
    for page, words in ((ben, "Well done, Ann! Ann completed"), (ann, "Well done! You completed")):
        await expect(page.locator("#celebration-text")).to_contain_text(words)
    # Calm: Ben asked his system for less motion and gets none; Ann gets one gentle fade.
    banner = "getComputedStyle(document.getElementById('celebration')).animationName"
    assert await ben.evaluate(banner) == "none"
    assert await ann.evaluate(banner) == "celebrate-in"
    await check_page(ben, "63-client-celebration")
    [answered] = await logged(server, sid, "celebration.answered")
    assert answered["yes"] is True


async def test_the_leader_runs_pairs_visits_one_and_brings_everyone_back(
    server: Server, browser: Browser
) -> None:
    leader, first, second = await leader_with_two_links(server, browser, "Pairs group")
    sid = session_id(leader)
    ann = await client_admitted(browser, server, leader, first, "Ann")
    ben = await client_admitted(browser, server, leader, second, "Ben")
    form = leader.locator("#pairs-form")
    await expect(form).to_contain_text("2 people will be put in pairs")
    await form.get_by_label("What to practise").fill("Ask your partner to go for a walk.")
    await form.get_by_role("button", name="Start the pairs").click()
    await expect(ann.locator("#pairs")).to_contain_text("You are practising with Ben.")
    await expect(ben.locator("#pairs")).to_contain_text("You are practising with Ann.")
    await expect(ann.locator("#pairs")).to_contain_text(
        "Practise: Ask your partner to go for a walk."
    )
    await expect(ann.locator("#pairs-left")).to_contain_text("Time left: 4 min")
    await check_page(ann, "64-client-in-a-pair")
    await leader.get_by_role("button", name="Visit group 1").click()
    await expect(leader.locator("#pairs")).to_contain_text("(you are here)")
    await expect(leader.get_by_role("button", name="Leave this group")).to_be_visible()
    await check_page(leader, "65-leader-visiting-a-pair")
    await leader.get_by_role("button", name="Bring everyone back").click()
    await expect(ann.locator("#pairs")).to_be_hidden()
    [started] = await logged(server, sid, "pairs.started")
    [ended] = await logged(server, sid, "pairs.ended")
    assert [g["members"] for g in started["groups"]] == [p["members"] for p in ended["practised"]]
    assert len(started["groups"][0]["members"]) == 2
    assert await logged(server, sid, "pairs.visited") == [
        {"participant": (await server.services.sessions.get(sid)).leader_id, "group": "pair-1"}
    ]
