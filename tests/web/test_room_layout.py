"""The room shows faces first: on a phone the leader is large on the first screen.

Real media through the SFU: each page publishes a coloured canvas (test_media's fake
devices), so a tile's video has real frames (``videoWidth > 0``) when it plays.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import PHONE, admit, client_waits
from tests.web.test_media import eventually, leader_in_room, page_with_colour

# Where an element is on the screen the person sees now (no scrolling by the test).
RECT = """
(node) => {
  const r = node.getBoundingClientRect();
  return { top: r.top, bottom: r.bottom, left: r.left, right: r.right,
           width: r.width, height: r.height, vw: innerWidth, vh: innerHeight };
}
"""
PLAYING = "(v) => v.videoWidth > 0 && !v.paused && v.readyState >= 2"


async def rect(page: Page, selector: str) -> dict[str, Any]:
    return dict(await page.locator(selector).evaluate(RECT))


async def phone_client(browser: Browser, server: Server, leader: Page, link: str) -> Page:
    """A client on a 360x740 phone, let in by the leader."""
    phone = await page_with_colour(browser, server, "green")
    await phone.set_viewport_size(PHONE)
    await client_waits(phone, link, "Alex")
    await admit(leader, "Alex")
    await expect(phone.locator("#room")).to_be_visible()
    return phone


async def test_client_on_a_phone_sees_the_leader_large_on_the_first_screen(
    media_server: Server, media_browser: Browser
) -> None:
    leader, links = await leader_in_room(media_browser, media_server, "Phone group")
    phone = await phone_client(media_browser, media_server, leader, links[0])

    leader_video = phone.get_by_label("Video of dana")
    await eventually(lambda: leader_video.evaluate(PLAYING), bool, "the leader's video plays")
    seen = dict(await leader_video.evaluate(RECT))
    assert seen["top"] >= 0 and seen["bottom"] <= seen["vh"], seen
    assert seen["width"] >= 0.85 * seen["vw"], seen
    own = dict(await phone.get_by_label("Your own video").evaluate(RECT))
    assert own["width"] * own["height"] < 0.25 * seen["width"] * seen["height"], (own, seen)
    await phone.screenshot(path="test-output/screenshots/60-phone-room-leader-first.png")


async def test_phone_controls_fit_in_one_bar_at_double_text_size(
    media_server: Server, media_browser: Browser
) -> None:
    leader, links = await leader_in_room(media_browser, media_server, "Big text group")
    phone = await phone_client(media_browser, media_server, leader, links[0])
    # What a person with their browser's text size at 200 % gets (CSSOM: allowed by the CSP).
    await phone.evaluate("document.documentElement.style.fontSize = '200%'")

    assert await phone.evaluate("document.documentElement.scrollWidth <= innerWidth")
    for name in ("Microphone", "Camera", "Raise hand", "Leave"):
        button = phone.get_by_role("button", name=name)
        await expect(button).to_be_visible()
        box = dict(await button.evaluate(RECT))
        assert 0 <= box["left"] and box["right"] <= box["vw"], (name, box)
    bar = await rect(phone, "#controls-bar")
    assert bar["height"] <= 0.75 * bar["vh"], bar  # wraps, but still leaves the screen for faces
    await phone.screenshot(path="test-output/screenshots/61-phone-room-200-text.png")


async def test_leader_sees_faces_first_and_tools_in_a_side_panel(
    media_server: Server, media_browser: Browser
) -> None:
    leader, links = await leader_in_room(media_browser, media_server, "Desktop group")
    await phone_client(media_browser, media_server, leader, links[0])

    alex = leader.get_by_label("Video of Alex")
    await eventually(lambda: alex.evaluate(PLAYING), bool, "Alex's video plays")
    seen = dict(await alex.evaluate(RECT))
    assert seen["top"] >= 0 and seen["bottom"] <= seen["vh"], seen
    main = await rect(leader, ".room-main")
    side = await rect(leader, "#lead-panels")
    assert side["left"] >= main["right"], (main, side)
    assert side["height"] <= side["vh"], side
    tools = leader.get_by_role("tablist", name="Leader tools")
    await expect(tools).to_be_visible()
    await tools.get_by_role("tab", name="Role play").click()
    await expect(leader.get_by_role("button", name="Start role play")).to_be_visible()
    await expect(leader.get_by_role("heading", name="Waiting room")).to_be_hidden()
    await leader.screenshot(path="test-output/screenshots/62-leader-room-desktop.png")
