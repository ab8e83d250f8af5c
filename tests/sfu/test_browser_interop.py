"""A real Chromium publishes to and subscribes through the SFU (packet-level forwarding).

aiortc peers are lenient; Chromium checks SRTP, header extensions, payload
types and RTCP strictly, so this is the test that the per-leg rewrite is
what a browser accepts.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.sfu.conftest import Harness, eventually

playwright = pytest.importorskip("playwright.async_api")

HAVE_CHROMIUM = os.path.exists(CHROMIUM)

PAGE = """
<canvas id=c width=160 height=120></canvas>
<script>
// Microphone access first, as the room page does: a page allowed the microphone
// offers its real host addresses (never mDNS names, which the SFU cannot resolve).
window.mic = navigator.mediaDevices.getUserMedia({audio: true});
window.videos = {};
window.sub = null;
function gathered(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise(r => pc.addEventListener('icegatheringstatechange',
    () => pc.iceGatheringState === 'complete' && r()));
}
window.publish = async (colour) => {
  const mic = await window.mic;
  const c = document.getElementById('c'), g = c.getContext('2d');
  setInterval(() => { g.fillStyle = colour; g.fillRect(0, 0, 160, 120); }, 50);
  const pc = new RTCPeerConnection({iceServers: []});
  pc.addTransceiver(mic.getAudioTracks()[0], {direction: 'sendonly'});
  pc.addTransceiver(c.captureStream(15).getVideoTracks()[0], {direction: 'sendonly'});
  await pc.setLocalDescription(await pc.createOffer());
  await gathered(pc);
  window.pub = pc;
  return pc.localDescription.sdp;
};
window.answerPublish = sdp => window.pub.setRemoteDescription({type: 'answer', sdp});
// Offers are answered one at a time, and an offer sent again (our answer was late)
// gets the same answer again, as the room's media.js does.
let offers = Promise.resolve(), lastOffer = null, lastAnswer = null;
window.onOffer = (ev) => (offers = offers.then(() => answerOffer(ev)));
const answerOffer = async (ev) => {
  if (window.sub && ev.sdp === lastOffer && window.sub.signalingState === 'stable') return lastAnswer;
  lastOffer = ev.sdp;
  if (!window.sub || ev.new_pc) {
    window.sub = new RTCPeerConnection({iceServers: []});
    window.sub.ontrack = e => {
      if (e.track.kind !== 'video') return;
      const v = document.createElement('video');
      v.muted = true; v.autoplay = true; v.playsInline = true;
      v.srcObject = new MediaStream([e.track]);
      document.body.appendChild(v);
      window.videos[e.transceiver.mid] = v;
    };
  }
  await window.sub.setRemoteDescription({type: 'offer', sdp: ev.sdp});
  await window.sub.setLocalDescription(await window.sub.createAnswer());
  await gathered(window.sub);
  lastAnswer = window.sub.localDescription.sdp;
  return lastAnswer;
};
window.colourOf = (mid) => {
  const v = window.videos[mid];
  if (!v || v.videoWidth === 0) return null;
  const c = document.createElement('canvas'); c.width = 16; c.height = 16;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0, 16, 16);
  return Array.from(g.getImageData(8, 8, 1, 1).data.slice(0, 3));
};
window.framesDecoded = async () => {
  let n = 0;
  for (const r of (await window.sub.getStats()).values())
    if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0;
  return n;
};
</script>
"""


@pytest.fixture
async def page() -> AsyncIterator[Any]:
    if not HAVE_CHROMIUM:
        pytest.skip("no Chromium")
    async with playwright.async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page()
            # A loopback origin is a secure context (getUserMedia); no server needed.
            url = "http://127.0.0.1:9/sfu-interop"
            await page.route(url, lambda route: route.fulfill(body=PAGE, content_type="text/html"))
            await page.goto(url)
            await asyncio.wait_for(page.evaluate("() => window.mic.then(() => true)"), 60)
            yield page
        finally:
            await browser.close()


async def test_chromium_publishes_and_subscribes_through_the_sfu(
    harness: Harness, page: Any
) -> None:
    ann = await harness.joined("ann", "red")
    answers: list[asyncio.Task[Any]] = []

    async def to_browser(room: str, pid: str, event: dict[str, Any]) -> None:
        if pid == "web" and event["type"] == "offer":
            answers.append(asyncio.create_task(answer_in_browser(event)))
        elif pid in harness.peers:
            harness.peers[pid].emitted(event)

    async def answer_in_browser(event: dict[str, Any]) -> None:
        sdp = await asyncio.wait_for(page.evaluate("ev => window.onOffer(ev)", event), 60)
        await harness.sfu.handle(harness.room, "web", {"type": "answer", "sdp": sdp})

    harness.sfu._emit = to_browser
    await harness.sfu.handle(harness.room, "web", {"type": "join"})
    harness.sfu._rooms[harness.room]._emit = to_browser
    offer = await asyncio.wait_for(page.evaluate("c => window.publish(c)", "rgb(0, 200, 0)"), 60)
    reply = await harness.sfu.handle(harness.room, "web", {"type": "publish", "sdp": offer})
    await page.evaluate("sdp => window.answerPublish(sdp)", reply["sdp"])

    async def browser_frames() -> int:
        return int(await page.evaluate("() => window.sub ? window.framesDecoded() : 0"))

    for _ in range(300):
        if await browser_frames() >= 15:
            break
        await asyncio.sleep(0.1)
    assert await browser_frames() >= 15, "Chromium decodes the forwarded VP8"
    mid = next(m for m, p in ann_mids(harness).items() if p == "ann")
    rgb = await page.evaluate("mid => window.colourOf(mid)", mid)
    assert rgb is not None and rgb[0] > 150 and rgb[1] < 100, json.dumps(rgb)

    await eventually(lambda: ann.video_frames_from("web") >= 10, what="ann decodes Chromium")
    assert ann.colours["web"].most_common(1)[0][0] in ("green", "cyan", "yellow")

    # Renegotiation with a strict peer: a publisher comes, then goes.
    await harness.joined("bob", "blue")
    for _ in range(300):
        bob_mid = next((m for m, p in ann_mids(harness).items() if p == "bob"), None)
        rgb = await page.evaluate("mid => window.colourOf(mid)", bob_mid) if bob_mid else None
        if rgb is not None and rgb[2] > 150 and rgb[0] < 100:
            break
        await asyncio.sleep(0.1)
    assert rgb is not None and rgb[2] > 150 and rgb[0] < 100, json.dumps(rgb)
    await harness.peers["bob"].send({"type": "leave"})
    await eventually(lambda: len(answers) >= 3 and all(t.done() for t in answers))
    for task in answers:
        await task  # every (re)offer was accepted by Chromium
    frames = await browser_frames()
    for _ in range(100):
        if await browser_frames() >= frames + 10:
            break
        await asyncio.sleep(0.1)
    assert await browser_frames() >= frames + 10, "ann's video goes on after bob left"


def ann_mids(harness: Harness) -> dict[str, str]:
    """mid -> publisher of the browser participant's subscribing legs."""
    legs = harness.sfu._rooms[harness.room].participants["web"].legs.values()
    return {leg.mid or "": leg.publisher_id for leg in legs if leg.kind == "video"}
