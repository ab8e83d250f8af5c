"""Screen sharing in the browser: the lead clicks "Share screen", a client on a phone sees the
share large with "dana's screen" and decodes its frames; "Stop sharing" takes it away.

The shared screen is a yellow canvas: headless Chromium here refuses getDisplayMedia (see
docs/handover/hs.md), so the test gives the page a getDisplayMedia that returns a canvas
captureStream, the same way test_media.py gives it a camera.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.live.harness import Server
from tests.web.people import (
    PHONE,
    check_page,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
)
from tests.web.test_media import COLOURS, client_in_room, eventually, page_with_colour

YELLOW = (230, 200, 30)

FAKE_SCREEN = """
(() => {
  navigator.mediaDevices.getDisplayMedia = async () => {
    const canvas = document.createElement("canvas");
    canvas.width = 640;
    canvas.height = 360;
    const g = canvas.getContext("2d");
    let n = 0;
    const paint = () => {
      g.fillStyle = "rgb(230, 200, 30)";
      g.fillRect(0, 0, 640, 360);
      g.fillStyle = n++ % 2 ? "#000" : "#fff";
      g.fillRect(0, 0, 8, 8);
    };
    paint();
    setInterval(paint, 100);
    return canvas.captureStream(10);
  };
})()
"""

# Frames decoded for the share on the stage, its size and its centre pixel.
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
  let rgb = null;
  if (video.videoWidth > 0) {
    const canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    const g = canvas.getContext("2d");
    g.drawImage(video, 0, 0);
    rgb = Array.from(g.getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data.slice(0, 3));
  }
  const box = video.getBoundingClientRect();
  return { frames, width: video.videoWidth, shown: box.width, page: window.innerWidth, rgb };
}
"""


def nearest(rgb: list[int]) -> str:
    colours = {**COLOURS, "yellow": YELLOW}
    return min(
        colours, key=lambda c: sum((a - b) ** 2 for a, b in zip(colours[c], rgb, strict=True))
    )


async def share_seen(page: Page) -> dict[str, Any]:
    return await page.evaluate(SHARE) or {}


async def test_the_lead_shares_a_screen_a_client_on_a_phone_sees_large_until_stopped(
    media_server: Server, media_browser: Browser
) -> None:
    leader = await page_with_colour(media_browser, media_server, "red")
    await leader.add_init_script(FAKE_SCREEN)
    await clinician_signs_in(media_server, leader)
    await create_session(leader, "Screen group")
    link = await make_invite(leader, 1)
    await leader_opens_room(leader, "Screen group")
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
        lambda s: s["frames"] > first_seen["frames"] and s["rgb"] is not None,
        "the share keeps decoding",
    )
    assert seen["width"] > 0
    assert nearest(seen["rgb"]) == "yellow", seen
    assert seen["shown"] >= 0.85 * seen["page"], "the share fills a phone's width"
    await expect(ann.locator("#screen-stop")).to_be_hidden()  # only the sharer and leads
    await check_page(ann, "screen-share-client")

    await leader.locator("#screen-stop").click()
    await expect(stage).to_be_hidden()
    await expect(leader.locator("#screen-stage")).to_be_hidden()
    await expect(leader.get_by_role("button", name="Share screen")).to_be_visible()
