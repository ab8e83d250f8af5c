"""Browsers publish simulcast in groups, and each page gets the layer its tiles need.

Three Chromium pages (a 960x540 canvas as camera; the layers are 160x90, 320x180, 640x360): in a 1:1 session the
leader's camera goes out as one layer; once a third person comes, as three layers the SFU
tells apart. A client sees the leader large (the top layer, 640 wide) and the other client
small (never the top layer); when the client's window gets small, the leader's picture
arrives narrower; a tile the client pins gets the top layer even in the small window. All waits are generous: the machine may be busy.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from playwright.async_api import Browser, Page, expect

from sfu.layer_choice import ACTIVE_BPS
from sfu.service import SfuService
from tests.live.harness import Server
from tests.web.people import (
    admit,
    client_waits,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
)
from tests.web.test_media import participant_id

LIMIT_S = 90.0

# Keep every RTCPeerConnection for getStats(), and make the camera a 960x540 canvas with a
# moving square (the fake camera gives 640x480, from which Chromium sends two layers at most;
# real cameras give the 960x540 the page asks for).
CAMERA = """
(() => {
  const pcs = (window.__pcs = []);
  const Native = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Native {
    constructor(...args) { super(...args); pcs.push(this); }
  };
  navigator.mediaDevices.getUserMedia = async (constraints) => {
    const tracks = [];
    if (constraints.video) {
      const canvas = document.createElement("canvas");
      canvas.width = 960;
      canvas.height = 540;
      const g = canvas.getContext("2d");
      let step = 0;
      setInterval(() => {
        step += 1;
        g.fillStyle = "#357";
        g.fillRect(0, 0, 960, 540);
        g.fillStyle = "#fc3";
        g.fillRect((step * 17) % 860, (step * 11) % 440, 100, 100);
      }, 66);
      tracks.push(...canvas.captureStream(15).getVideoTracks());
    }
    if (constraints.audio) {
      const ac = new AudioContext();
      const out = ac.createMediaStreamDestination();
      const osc = ac.createOscillator();
      const level = ac.createGain();
      level.gain.value = 0;
      osc.connect(level).connect(out);
      osc.start();
      tracks.push(...out.stream.getAudioTracks());
    }
    return new MediaStream(tracks);
  };
})()
"""

# What the page decodes of one person's video: frames so far and the width of the last one.
RECEIVED = """
async (pid) => {
  const video = document.querySelector(`#videos [data-participant="${pid}"] video`);
  const track = video?.srcObject?.getVideoTracks()[0];
  if (!track) return null;
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    const receiver = pc.getReceivers().find((r) => r.track === track);
    if (!receiver) continue;
    let out = null;
    (await receiver.getStats()).forEach((s) => {
      if (s.type === "inbound-rtp") out = { frames: s.framesDecoded || 0, width: s.frameWidth || 0 };
    });
    return out;
  }
  return null;
}
"""

# Which of the page's camera layers (lowest first) it encodes now: `active` of each encoding.
ENCODING = """
() => {
  for (const pc of window.__pcs) {
    if (pc.connectionState === "closed") continue;
    for (const sender of pc.getSenders()) {
      const encodings = sender.track?.kind === "video" && sender.getParameters().encodings;
      if (encodings?.length === 3) return encodings.map((e) => e.active);
    }
  }
  return null;
}
"""
LAYER_WIDTHS = (160, 320, 640)


async def eventually(
    read: Callable[[], Awaitable[Any]] | Callable[[], Any], holds: Callable[[Any], bool], what: str
) -> Any:
    """Poll until `holds(value)`; fail after a generous limit (never a timed assertion)."""
    deadline = time.monotonic() + LIMIT_S
    while True:
        value = read()
        if asyncio.iscoroutine(value):
            value = await value
        if holds(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}")
        await asyncio.sleep(0.5)


async def page_with_camera(browser: Browser, server: Server) -> Page:
    page = await new_page(browser, server)
    await page.add_init_script(CAMERA)
    return page


def video_forwarder(server: Server, pid: str) -> Any:
    sfu = server.services.sfu
    assert isinstance(sfu, SfuService)
    for room in sfu._rooms.values():
        participant = room.participants.get(pid)
        if participant is not None and "video" in participant.forwarders:
            return participant.forwarders["video"]
    return None


def layers_arriving(server: Server, pid: str) -> dict[str, Any]:
    """How many layers the SFU declared for `pid`'s video and how many arrive now."""
    forwarder = video_forwarder(server, pid)
    if forwarder is None:
        return {"declared": 0, "arriving": 0}
    rates = [round(bps) for bps in forwarder.layer_bps]
    return {
        "declared": forwarder.layer_count,
        "arriving": sum(bps > ACTIVE_BPS for bps in forwarder.layer_bps),
        "bps": rates,
    }


async def received(page: Page, pid: str) -> dict[str, int]:
    return await page.evaluate(RECEIVED, pid) or {"frames": 0, "width": 0}


async def decodes(page: Page, pid: str, what: str) -> None:
    """Frames of `pid`'s video keep being decoded on `page`."""
    start = await eventually(lambda: received(page, pid), lambda r: r["frames"] > 0, what)
    await eventually(lambda: received(page, pid), lambda r: r["frames"] > start["frames"], what)


async def client_in(browser: Browser, server: Server, leader: Page, link: str, name: str) -> Page:
    page = await page_with_camera(browser, server)
    await client_waits(page, link, name)
    await admit(leader, name)
    await expect(page.locator("#room")).to_be_visible()
    return page


async def test_groups_get_three_layers_and_each_tile_the_layer_it_needs(
    media_server: Server, media_browser: Browser
) -> None:
    leader = await page_with_camera(media_browser, media_server)
    await clinician_signs_in(media_server, leader)
    await create_session(leader, "Simulcast group")
    links = [await make_invite(leader, 1), await make_invite(leader, 2)]
    await leader_opens_room(leader, "Simulcast group")
    ann = await client_in(media_browser, media_server, leader, links[0], "Ann")
    dana = await participant_id(leader, "dana")

    # 1:1: the leader's camera goes out as one layer, and Ann sees it.
    await decodes(ann, dana, "Ann decodes the leader's video (1:1)")
    one = await eventually(
        lambda: layers_arriving(media_server, dana),
        lambda s: s["arriving"] == 1,
        "one layer from the leader in a 1:1 session",
    )
    assert one["declared"] == 3, one  # the offer declares the group; only the top one is sent
    await eventually(
        lambda: received(ann, dana), lambda r: r["width"] == 640, "the full picture (1:1)"
    )

    # A third person: three layers, all arriving at the SFU.
    ben = await client_in(media_browser, media_server, leader, links[1], "Ben")
    ben_id = await participant_id(leader, "Ben")
    await eventually(
        lambda: layers_arriving(media_server, dana),
        lambda s: s["arriving"] == 3,
        "three layers from the leader's browser",
    )
    await decodes(ann, dana, "Ann decodes the leader's video (group)")
    await decodes(ben, dana, "Ben decodes the leader's video (group)")

    # Ann sees the leader large (the top layer) and Ben small (never the top layer).
    await eventually(
        lambda: received(ann, dana), lambda r: r["width"] == 640, "the leader large for Ann"
    )
    await decodes(ann, ben_id, "Ann decodes Ben's video")
    await eventually(
        lambda: received(ann, ben_id),
        lambda r: 0 < r["width"] < 640,
        "Ben's small tile gets a lower layer",
    )

    # Ann and Ben want at most two of the leader's layers: the SFU tells the leader's page,
    # which stops encoding the layer nobody receives.
    await eventually(
        lambda: leader.evaluate(ENCODING),
        lambda active: active is not None and False in active,
        "the leader's browser pauses a layer nobody receives",
    )

    # Ann's window gets small: the leader's tile is small, a lower layer arrives, still moving
    # (encoded again if it was paused).
    await ann.set_viewport_size({"width": 240, "height": 320})
    small = await eventually(
        lambda: received(ann, dana),
        lambda r: 0 < r["width"] < 640,
        "a lower layer of the leader's video in Ann's small window",
    )
    await decodes(ann, dana, "Ann still decodes the leader's video")
    active = await leader.evaluate(ENCODING)
    assert active[LAYER_WIDTHS.index(small["width"])], f"the layer Ann gets is encoded: {active}"

    # Ann pins Ben ("Show large"): his picture comes in full, even in her small window.
    await ann.get_by_role("button", name="Show Ben large").click()
    await eventually(
        lambda: received(ann, ben_id),
        lambda r: r["width"] == 640,
        "the top layer for a pinned tile",
    )
    await decodes(ann, ben_id, "Ann decodes Ben's video large")
