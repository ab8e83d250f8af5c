"""Live captions as people see them in Chromium: the lead turns them on, the words appear
under each person's name, and in private group mode under "Group member"."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.live.harness import Server
from tests.web.people import check_page, client_admitted, leader_with_two_links


async def test_captions_show_who_said_what_and_hide_names_in_private_mode(
    media_server: Server, browser: Browser
) -> None:
    server = media_server
    leader, first, second = await leader_with_two_links(server, browser, "Tuesday group")
    ann = await client_admitted(browser, server, leader, first, "Ann")
    await client_admitted(browser, server, leader, second, "Ben")
    await expect(ann.locator("#captions")).to_be_hidden()
    await leader.get_by_role("button", name="Turn on captions").click()
    await expect(ann.get_by_role("heading", name="Captions")).to_be_visible()
    await expect(leader.get_by_role("button", name="Turn off captions")).to_be_visible()

    # The captioner's output (speech itself is tested in tests/reach/test_captions.py).
    sid = (await server.services.sessions.live())[0].id
    live = await server.services.channel.live(sid)
    ben_id = next(p.id for p in live.state.people.values() if p.display_name == "Ben")
    captions = server.services.channel.captions
    await captions.deliver(sid, ben_id, "i walked every day this week", 0.0)
    await expect(ann.locator("#caption-lines")).to_contain_text("Ben: i walked every day this week")
    await check_page(ann, "captions-client")

    await leader.get_by_role("button", name="Turn on private group mode").click()
    # The words come after private mode is on (what a speaker says then is shown without name).
    await expect(leader.get_by_role("button", name="Turn off private group mode")).to_be_visible()
    await captions.deliver(sid, ben_id, "it helped", 0.0)
    await expect(ann.locator("#caption-lines")).to_contain_text("Group member: it helped")
    await expect(ann.locator("#caption-lines")).not_to_contain_text("Ben")
    await expect(leader.locator("#caption-lines")).to_contain_text("Ben: it helped")
