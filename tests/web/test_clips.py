"""Recovery videos in the browser: the lead plays a video from the Videos panel, a client
sees it large as "Video: Calm breathing" and decodes its picture and sound; the lead pauses
and stops it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from imr_live.edges.clip_library import ClipLibrary
from tests.clip_files import make_clip
from tests.live.harness import Server
from tests.web.people import check_page
from tests.web.test_media import client_in_room, eventually, leader_in_room

CLIP = """
async () => {
  const video = document.querySelector("#clip-video");
  const stream = video?.srcObject;
  if (!stream || video.hidden) return null;
  const [picture] = stream.getVideoTracks();
  const [sound] = stream.getAudioTracks();
  let frames = 0, samples = 0;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    for (const receiver of pc.getReceivers()) {
      if (receiver.track !== picture && receiver.track !== sound) continue;
      (await receiver.getStats()).forEach((s) => {
        if (s.type !== "inbound-rtp") return;
        if (s.kind === "video") frames = s.framesDecoded || 0;
        else samples = s.totalSamplesReceived || 0;
      });
    }
  }
  return { frames, samples, width: video.videoWidth };
}
"""


async def clip_seen(page: Page) -> dict[str, Any]:
    return await page.evaluate(CLIP) or {}


async def test_the_lead_plays_a_video_a_client_sees_and_hears_it(
    media_server: Server, media_browser: Browser, tmp_path: Path
) -> None:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    make_clip(shipped / "calm.webm", seconds=60, colour="yellow")
    (shipped / "calm.txt").write_text("Calm breathing")
    store = media_server.services.channel.clips.store
    assert isinstance(store, ClipLibrary)
    store.shipped = shipped

    leader, (link, _second) = await leader_in_room(media_browser, media_server, "Video group")
    ann = await client_in_room(media_browser, media_server, leader, link, "Ann", "green")
    await leader.get_by_role("tab", name="Videos").click()
    await leader.get_by_role("button", name="Play Calm breathing for everyone").click()

    await expect(ann.locator("#clip-stage")).to_be_visible()
    await expect(ann.locator("#clip-caption")).to_have_text("Video: Calm breathing")
    seen = await eventually(
        lambda: clip_seen(ann),
        lambda s: s.get("frames", 0) > 10 and s.get("samples", 0) > 0,
        "Ann decodes the video's picture and sound",
    )
    assert seen["width"] == 160
    await expect(ann.locator("#clip-controls")).to_be_hidden()  # only leads control it
    await check_page(ann, "clip-client")

    await leader.get_by_role("button", name="Pause the video").click()
    await expect(ann.locator("#announcer")).to_have_text("The video is paused.")
    await leader.get_by_role("button", name="Play the video on").click()
    await expect(ann.locator("#announcer")).to_have_text("The video goes on.")
    await check_page(leader, "clip-lead")
    await leader.get_by_role("button", name="Stop the video").click()
    await expect(ann.locator("#clip-stage")).to_be_hidden()
    await expect(leader.locator("#clip-stage")).to_be_hidden()
