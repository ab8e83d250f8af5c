"""Chromium's own TURN client: issued credentials work, expired ones do not, media flows relayed."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, async_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.live.harness import Server, start_server
from tests.live.test_media_over_live_channel import SocketPeer
from tests.scale.coturn import Coturn
from tests.sfu.conftest import eventually

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="no Chromium")

GATHER_RELAY = """
async (iceServers) => {
  const pc = new RTCPeerConnection({iceServers, iceTransportPolicy: "relay"});
  const types = [];
  const done = new Promise((resolve) => {
    pc.onicecandidate = (e) => e.candidate ? types.push(e.candidate.type) : resolve();
    setTimeout(resolve, 10000);
  });
  pc.createDataChannel("probe");
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  pc.close();
  return types;
}
"""


@pytest.fixture
async def page() -> AsyncIterator[Page]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield await chromium.new_page()
        finally:
            await chromium.close()


async def issued_ice_servers(tmp_path: Path, coturn: Coturn, ttl_s: int) -> list[dict[str, Any]]:
    """The ice_servers a leader's join ack carries from a server with TURN set up."""
    server: Server = await start_server(
        tmp_path, turn_urls=(coturn.url,), turn_secret=coturn.secret, turn_ttl_s=ttl_s
    )
    try:
        clinician = await server.staff("dana")
        leader = await clinician.connect((await clinician.create_session())["id"])
        ice: list[dict[str, Any]] = (await leader.ok("join"))["ice_servers"]
        return ice
    finally:
        await server.stop()


async def test_chromium_gets_a_relay_candidate_with_issued_credentials(
    tmp_path: Path, coturn: Coturn, page: Page
) -> None:
    ice = await issued_ice_servers(tmp_path / "fresh", coturn, 3600)
    assert set(await page.evaluate(GATHER_RELAY, ice)) == {"relay"}


async def test_chromium_gets_no_relay_candidate_with_expired_credentials(
    tmp_path: Path, coturn: Coturn, page: Page
) -> None:
    ice = await issued_ice_servers(tmp_path / "expired", coturn, -60)
    assert await page.evaluate(GATHER_RELAY, ice) == []


CONNECT_AND_JOIN = """
async ({token, name}) => {
  const { io } = await import("/static/vendor/socket.io.esm.min.js");
  window.admitted = null;
  window.socket = io({ auth: { token }, transports: ["websocket"], reconnection: false });
  window.socket.on("admitted", (data) => { window.admitted = data; });
  return await window.socket.timeout(10000).emitWithAck("join", { display_name: name });
}
"""

PUBLISH_RELAYED = """
async () => {
  const config = {
    iceServers: window.admitted.ice_servers, iceTransportPolicy: "relay", bundlePolicy: "max-bundle",
  };
  const send = (message) => window.socket.timeout(10000).emitWithAck("media", message);
  window.sub = null;
  window.socket.on("media", async (event) => {
    if (event.type !== "offer") return;
    if (event.new_pc || !window.sub) {
      if (window.sub) window.sub.close();
      window.sub = new RTCPeerConnection(config);
    }
    await window.sub.setRemoteDescription({ type: "offer", sdp: event.sdp });
    await window.sub.setLocalDescription(await window.sub.createAnswer());
    await send({ type: "answer", sdp: window.sub.localDescription.sdp });
  });
  const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
  window.pub = new RTCPeerConnection(config);
  for (const track of stream.getTracks()) window.pub.addTransceiver(track, { direction: "sendonly" });
  await send({ type: "join" });
  await window.pub.setLocalDescription(await window.pub.createOffer());
  const reply = await send({ type: "publish", sdp: window.pub.localDescription.sdp });
  await window.pub.setRemoteDescription({ type: "answer", sdp: reply.sdp });
}
"""

MEDIA_STATS = """
async () => {
  const summary = async (pc) => {
    if (!pc) return { frames: 0, local: null };
    const stats = [...(await pc.getStats()).values()];
    const byId = Object.fromEntries(stats.map((s) => [s.id, s]));
    const pair = stats.find((s) => s.type === "candidate-pair" && s.nominated && s.state === "succeeded");
    const frames = stats.filter((s) => s.type === "inbound-rtp" && s.kind === "video")
      .reduce((n, s) => n + (s.framesDecoded || 0), 0);
    return { frames, local: pair ? byId[pair.localCandidateId].candidateType : null };
  };
  return { pub: await summary(window.pub), sub: await summary(window.sub) };
}
"""


@pytest.fixture
async def media_server(tmp_path: Path, coturn: Coturn) -> AsyncIterator[Server]:
    """A server with the SFU and TURN credentials (set up before, torn down after the page)."""
    server = await start_server(
        tmp_path, sfu=True, turn_urls=(coturn.url,), turn_secret=coturn.secret
    )
    try:
        yield server
    finally:
        await server.stop()


async def chromium_stats(page: Page, enough_frames: int) -> dict[str, Any]:
    """Chromium's media stats, polled until it decoded ``enough_frames`` (or 30 s passed)."""
    stats: dict[str, Any] = await page.evaluate(MEDIA_STATS)
    for _ in range(300):
        if stats["sub"]["frames"] >= enough_frames:
            break
        await page.wait_for_timeout(100)
        stats = await page.evaluate(MEDIA_STATS)
    return stats


async def test_chromium_behind_the_relay_and_an_aiortc_leader_see_each_other(
    media_server: Server, page: Page
) -> None:
    clinician = await media_server.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    await page.goto(media_server.url + "/healthz")
    token = await clinician.invite(sid)
    joined = await page.evaluate(CONNECT_AND_JOIN, {"token": token, "name": "Ann"})
    guest_id = joined["you"]["id"]
    await leader.ok("waiting.admit", {"participant": guest_id})
    await page.wait_for_function("window.admitted !== null", timeout=10000)

    seen = SocketPeer(leader, clinician.id)
    try:
        await seen.join()
        await seen.publish("red", audio=False)
        await page.evaluate(PUBLISH_RELAYED)
        await eventually(lambda: seen.video_frames_from(guest_id) > 10, what="Ann's video")
        stats = await chromium_stats(page, 10)
    finally:
        await seen.close()
    assert stats["sub"]["frames"] >= 10, stats
    assert stats["pub"]["local"] == stats["sub"]["local"] == "relay", stats
