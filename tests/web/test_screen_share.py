"""Screen sharing in the browser: the lead clicks "Share screen", a client on a phone sees the
share large with "dana's screen" and decodes its frames; "Stop sharing" takes it away.

The screen is the real getDisplayMedia of headless Chromium: with the fixtures' fake-UI flag
it shares a 1280x800 "screen:" source without asking (checked on this machine's Chromium).
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import PHONE, check_page
from tests.web.test_media import client_in_room, eventually, leader_in_room

# Frames decoded for the share on the stage, and its size.
SHARE = """
async () => {
  const video = document.querySelector("#screen-video");
  const track = video?.srcObject?.getVideoTracks()[0];
  if (!track || video.hidden) return null;
  let frames = 0;
  for (const pc of window.__pcs) {
    const receiver = pc.getReceivers().find((r) => r.track === track);
    if (!receiver || pc.connectionState === "closed") continue;
    (await receiver.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") frames = s.framesDecoded || 0;
    });
  }
  const box = video.getBoundingClientRect();
  return { frames, width: video.videoWidth, shown: box.width, page: window.innerWidth };
}
"""


async def share_seen(page: Page) -> dict[str, Any]:
    return await page.evaluate(SHARE) or {}


async def test_the_lead_shares_a_screen_a_client_on_a_phone_sees_large_until_stopped(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _second) = await leader_in_room(media_browser, media_server, "Screen group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    await ann.set_viewport_size(PHONE)

    await expect(ann.locator("#btn-screen")).to_be_hidden()  # a client needs a lead's yes
    await leader.get_by_role("button", name="Share screen").click()
    await expect(leader.locator("#screen-caption")).to_have_text("You are sharing your screen")
    await expect(leader.locator("#btn-screen")).to_have_attribute("aria-pressed", "true")

    stage = ann.locator("#screen-stage")
    await expect(stage).to_be_visible()
    await expect(ann.locator("#screen-caption")).to_have_text("dana's screen")
    await expect(ann.locator("#announcer")).to_have_text("dana is sharing their screen.")
    first_seen = await eventually(
        lambda: share_seen(ann), lambda s: s.get("frames", 0) > 0, "Ann decodes the share"
    )
    seen = await eventually(
        lambda: share_seen(ann),
        lambda s: s["frames"] > first_seen["frames"],
        "the share keeps decoding",
    )
    assert seen["width"] > 0
    assert seen["shown"] >= 0.85 * seen["page"], "the share fills a phone's width"
    await expect(ann.locator("#screen-stop")).to_be_hidden()  # only the sharer and leads
    await check_page(ann, "screen-share-client")

    await leader.locator("#screen-stop").click()
    await expect(stage).to_be_hidden()
    await expect(leader.locator("#screen-stage")).to_be_hidden()
    await expect(leader.get_by_role("button", name="Share screen")).to_be_visible()


# The browser's own "Stop sharing" bar ends the captured track: stop the page's screen track
# and fire `ended` as the browser does (headless Chromium has no such bar to click).
BROWSER_STOPS_SHARING = """
() => {
  for (const pc of window.__pcs) {
    for (const sender of pc.getSenders()) {
      const track = sender.track;
      if (track && track.label.startsWith("screen:")) {
        track.stop();
        track.dispatchEvent(new Event("ended"));
        return true;
      }
    }
  }
  return false;
}
"""


async def test_a_client_shares_once_a_lead_allows_it_and_the_browser_can_stop_it(
    media_server: Server, media_browser: Browser
) -> None:
    leader, (link, _second) = await leader_in_room(media_browser, media_server, "Client screen")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    await expect(ann.locator("#btn-screen")).to_be_hidden()
    await leader.get_by_role("button", name="Let Ann share their screen").click()
    await expect(ann.locator("#announcer")).to_have_text("A leader lets you share your screen.")
    await ann.get_by_role("button", name="Share screen").click()
    await expect(ann.locator("#screen-caption")).to_have_text("You are sharing your screen")

    await expect(leader.locator("#screen-caption")).to_have_text("Ann's screen")
    await eventually(
        lambda: share_seen(leader), lambda s: s.get("frames", 0) > 0, "dana decodes Ann's share"
    )
    await expect(leader.get_by_role("button", name="Stop sharing Ann's screen")).to_be_visible()

    assert await ann.evaluate(BROWSER_STOPS_SHARING)
    await expect(leader.locator("#screen-stage")).to_be_hidden()
    await expect(ann.locator("#screen-stage")).to_be_hidden()
    await expect(ann.get_by_role("button", name="Share screen")).to_be_visible()
