"""A Chromium subscriber run inside a network namespace (`python -m tests.netem.browser_peer`).

The aiortc subscriber's jitter buffer hides what the SFU does (it waits many
seconds at a hole and never asks for a keyframe after a decode error), so
this peer measures what a browser user sees instead. It speaks the same JSON
lines as `tests.netem.peer` (`sub_offer`, `stats`, `impair`, `close`, plus
`rtc_stats`) and relays its UDP through the same `UdpShim`. Debian's Chromium
runs headless through Playwright on a blank page; the page answers the SFU's
offers and records every presented video frame (`requestVideoFrameCallback`)
and the audio it decodes (from `getStats`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from typing import Any

from playwright.async_api import Browser, Page, Playwright, async_playwright

from tests.chromium import AUTOPLAY, CHROMIUM
from tests.chromium import CHROMIUM_ARGS as BASE_ARGS
from tests.netem.peer import candidate_at, only_candidate, serve
from tests.netem.shim import Flow, Impairment, UdpShim

logger = logging.getLogger("netem.browser_peer")

CHROMIUM_ARGS = [*BASE_ARGS, AUTOPLAY]  # the sound is decoded without a click

ORIGIN = "http://127.0.0.1/netem-subscriber"
"""Where the blank page is (never fetched: Playwright answers it)."""

SAMPLES_PER_FRAME = 960
"""Opus at 48 kHz: samples in one 20 ms frame, the unit aiortc's subscriber counts in."""

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>netem subscriber</title>
<style>video { width: 320px; height: 180px; background: #000; }</style>
<div id="media"></div>
<script>
let pc = null;
const elements = new Map();  // mid -> <video>/<audio> of the current pc
let frames = {};             // mid -> [[performance.now() ms, width, height], ...]
let audioDone = {};          // inbound-rtp stats id -> samples already reported
let audioPending = {};       // mid -> samples decoded, not yet reported

// Once, so Chromium exposes the real host addresses (no mDNS names) to this page.
window.allowHostCandidates = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  stream.getTracks().forEach((track) => track.stop());
};

function watchFrames(mid, video) {
  const onFrame = (now, meta) => {
    if (elements.get(mid) !== video) return;  // this pc was closed
    (frames[mid] ||= []).push([meta.presentationTime ?? now, meta.width, meta.height]);
    video.requestVideoFrameCallback(onFrame);
  };
  video.requestVideoFrameCallback(onFrame);
}

function attach(mid, track) {
  let element = elements.get(mid);
  if (!element) {
    element = document.createElement(track.kind === "video" ? "video" : "audio");
    element.autoplay = true;
    element.playsInline = true;
    if (track.kind === "video") {
      element.muted = true;  // the sound plays from its own <audio>
      watchFrames(mid, element);
    }
    elements.set(mid, element);
    document.getElementById("media").append(element);
  }
  if (element.srcObject?.getTracks()[0] !== track) element.srcObject = new MediaStream([track]);
  element.play().catch(() => {});
}

async function sampleAudio(conn) {
  if (!conn) return;
  const report = await conn.getStats();
  report.forEach((s) => {
    if (s.type !== "inbound-rtp" || s.kind !== "audio" || !s.mid) return;
    const decoded = (s.totalSamplesReceived || 0) - (s.concealedSamples || 0);
    const before = audioDone[s.id] ?? 0;
    if (decoded > before) {
      audioPending[s.mid] = (audioPending[s.mid] || 0) + decoded - before;
      audioDone[s.id] = decoded;
    }
  });
}

window.newPc = async () => {
  if (pc) {
    await sampleAudio(pc);  // what the old pc decoded still counts
    pc.close();
  }
  for (const element of elements.values()) element.remove();
  elements.clear();
  audioDone = {};
  pc = new RTCPeerConnection({ iceServers: [], bundlePolicy: "max-bundle" });
  pc.ontrack = (event) => attach(event.transceiver.mid, event.track);
};

window.answer = async (sdp) => {
  await pc.setRemoteDescription({ type: "offer", sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  while (pc.iceGatheringState !== "complete") {
    await new Promise((resolve) => pc.addEventListener("icegatheringstatechange", resolve, { once: true }));
  }
  return pc.localDescription.sdp;
};

// Frames presented and 20 ms audio frames decoded since the last call (drained).
window.collect = async (samplesPerFrame) => {
  await sampleAudio(pc);
  const audio = {};
  for (const [mid, samples] of Object.entries(audioPending)) {
    audio[mid] = Math.floor(samples / samplesPerFrame);
    audioPending[mid] = samples - audio[mid] * samplesPerFrame;
  }
  const video = frames;
  frames = {};
  return { video, audio };
};

// Receiver counters per mid (keyframe requests, NACKs, freezes) for the bench.
window.rtcStats = async () => {
  const out = {};
  if (!pc) return out;
  const keys = ["packetsReceived", "packetsLost", "nackCount", "pliCount", "firCount",
                "framesDecoded", "keyFramesDecoded", "framesDropped", "freezeCount",
                "totalFreezesDuration", "pauseCount", "totalPausesDuration",
                "totalSamplesReceived", "concealedSamples", "jitterBufferDelay",
                "jitterBufferEmittedCount", "frameWidth", "frameHeight"];
  (await pc.getStats()).forEach((s) => {
    if (s.type !== "inbound-rtp" || !s.mid) return;
    const row = (out[s.mid] ||= { kind: s.kind });
    for (const key of keys) if (typeof s[key] === "number") row[key] = (row[key] || 0) + s[key];
  });
  return out;
};
</script>
"""


class BrowserPeer:
    """The Chromium subscriber's state inside the namespace."""

    def __init__(self, address: str, sfu_host: str) -> None:
        self.address = address
        self.sfu_host = sfu_host
        self.shim = UdpShim(address)
        self.flow: Flow | None = None
        self._pw: Playwright | None = None
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._offset = 0.0  # time.monotonic() - performance.now() / 1000

    @property
    def page(self) -> Page:
        assert self._page is not None
        return self._page

    async def start(self) -> None:
        """Launch Chromium on a blank page and pair its clock with ours."""
        self._pw = await async_playwright().start()
        # launch() gives the browser a fresh temporary profile of its own.
        self._browser = await self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self._page = await self._browser.new_page()
        # about:blank is no secure context (no getUserMedia): an empty page at a loopback
        # origin, answered by Playwright itself (no server, nothing on the network), is.
        await self._page.route(
            ORIGIN, lambda route: route.fulfill(body="", content_type="text/html")
        )
        await self._page.goto(ORIGIN)
        await self._page.set_content(PAGE)
        await self._page.evaluate("allowHostCandidates()")
        # performance.now() and time.monotonic() both read the system's monotonic
        # clock: one paired sample (the tightest of a few) maps one onto the other.
        best: tuple[float, float] | None = None
        for _ in range(5):
            before = time.monotonic()
            page_ms = float(await self._page.evaluate("performance.now()"))
            after = time.monotonic()
            if best is None or after - before < best[0]:
                best = (after - before, (before + after) / 2 - page_ms / 1000)
        assert best is not None
        self._offset = best[1]

    async def sub_offer(self, sdp: str, new_pc: bool) -> dict[str, Any]:
        """Answer the SFU's subscribing offer (a new pc, or a renegotiation of the current one)."""
        if new_pc or self.flow is None:
            await self.page.evaluate("newPc()")
            self.flow = await self.shim.open_flow()
        flow = self.flow
        flow.sfu = candidate_at(sdp, self.sfu_host)
        local = await self.page.evaluate("answer", only_candidate(sdp, flow.inner_address))
        if ".local " in local:
            logger.warning("Chromium offered an mDNS candidate; only its host address is used")
        # Chromium also gathers 127.0.0.1 (--allow-loopback-in-peer-connection) and may
        # check from there; the flow then learns that source. Either way the media stays
        # inside this namespace until the flow's outer side, whose link is the shaped one.
        try:
            flow.peer = candidate_at(local, self.address)
        except ValueError:
            # Chromium enumerates the namespace's interfaces in the background: an answer
            # made before it saw the veth carries only its loopback candidate, which the
            # flow reaches just as well from inside the namespace.
            logger.warning("Chromium's answer has no candidate on %s yet", self.address)
            flow.peer = candidate_at(local, "127.0.0.1")
        return {"sdp": only_candidate(local, flow.outer_address)}

    async def stats(self) -> dict[str, Any]:
        """Frames presented and audio decoded since the last call (drained), and shim counters."""
        got = await self.page.evaluate("collect", SAMPLES_PER_FRAME)
        video = {
            mid: [[self._offset + t / 1000, w, h] for t, w, h in frames]
            for mid, frames in got["video"].items()
        }
        return {
            "now": time.monotonic(),
            "video": video,
            "audio": got["audio"],
            "shim": [vars(f.counters) for f in self.shim.flows],
        }

    async def rtc_stats(self) -> dict[str, Any]:
        """Chromium's inbound-rtp counters per mid (PLI, FIR, NACK, freezes...)."""
        result: dict[str, Any] = await self.page.evaluate("rtcStats()")
        return result

    def impair(self, up: dict[str, float], down: dict[str, float]) -> dict[str, Any]:
        self.shim.up = Impairment(**up)
        self.shim.down = Impairment(**down)
        return {}

    async def close(self) -> None:
        try:
            if self._browser is not None:
                await self._browser.close()
            if self._pw is not None:
                await self._pw.stop()
        finally:
            self._browser = self._pw = self._page = None
            self.shim.close()


async def run(address: str, sfu_host: str) -> None:
    peer = BrowserPeer(address, sfu_host)
    try:
        await peer.start()
    except Exception:
        await peer.close()
        raise
    await serve(peer)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True, help="this namespace's address")
    parser.add_argument("--sfu-host", required=True, help="the SFU's address on our link")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    asyncio.run(run(args.address, args.sfu_host))


if __name__ == "__main__":
    main()
