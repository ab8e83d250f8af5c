"""/metrics after a short session: connections, event and log latency, media counts moved."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from imr_live.edges.metrics import MediaCollector
from tests.live.harness import Server, start_server
from tests.live.test_media_over_live_channel import SocketPeer
from tests.live.test_permissions import admitted_guest
from tests.sfu.conftest import eventually

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(server: Server) -> Samples:
    """Every sample of /metrics, keyed by name and labels."""
    async with aiohttp.ClientSession() as http, http.get(server.url + "/metrics") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await resp.text()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def gauge_once_settled(
    server: Server, name: str, want: float, limit_s: float = 10, **labels: str
) -> float:
    """A gauge's value, scraped until it equals ``want`` or ``limit_s`` passed."""
    deadline = time.monotonic() + limit_s
    while (got := value(await scrape(server), name, **labels)) != want:
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.2)
    return got


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


async def test_a_short_session_moves_the_counters(media_server: Server) -> None:
    server = media_server
    before = await scrape(server)
    assert value(before, "imr_live_connections") == 0
    assert value(before, "imr_media_rooms") == 0

    clinician = await server.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    for text in ("hello", "how was your week?", "let's begin"):
        await leader.ok("chat.send", {"text": text})
    assert not (await leader.call("no.such.event"))["ok"]

    peers = [SocketPeer(leader, clinician.id), SocketPeer(client, client_id)]
    try:
        for peer, colour in zip(peers, ("red", "blue"), strict=True):
            await peer.join()
            await peer.publish(colour)
        await eventually(lambda: peers[0].video_frames_from(client_id) > 10, what="media")
        during = await scrape(server)
        # Frames that arrive after the first scrape: media forwarded between the two. Ann
        # often had 30 of the leader's frames before it, and the scrapes came a few
        # milliseconds apart with nothing forwarded between them (CI: 0 packets/s).
        seen = peers[1].video_frames_from(clinician.id)
        await eventually(
            lambda: peers[1].video_frames_from(clinician.id) > seen + 10, what="more media"
        )
        later = await scrape(server)
    finally:
        for peer in peers:
            await peer.close()

    assert value(during, "imr_live_connections") == 2
    assert value(during, "imr_media_rooms") == 1
    assert value(during, "imr_media_participants") == 2
    assert value(later, "imr_media_forwarded_packets_total") > 0
    assert value(later, "imr_media_forwarded_packets_per_second") > 0

    ok = {"outcome": "ok"}
    assert value(later, "imr_live_event_seconds_count", event="join", **ok) == 2
    assert value(later, "imr_live_event_seconds_count", event="chat.send", **ok) == 3
    assert value(later, "imr_live_event_seconds_count", event="media", **ok) >= 4
    assert value(later, "imr_live_event_seconds_count", event="other", outcome="refused") == 1
    chats = value(later, "imr_live_event_seconds_bucket", event="chat.send", le="+Inf", **ok)
    assert chats == 3
    # Joined x2, session started, admitted, three chats.
    assert value(later, "imr_log_append_seconds_count") >= 7
    assert value(later, "imr_log_append_seconds_sum") > 0

    await leader.close()
    await client.close()
    assert await gauge_once_settled(server, "imr_live_connections", 0) == 0


def test_forwarded_packets_keep_counting_when_a_room_closes() -> None:
    now = [100.0]
    stats = {"rooms": 2, "forwarded_packets": 1000}
    collector = MediaCollector(clock=lambda: now[0])
    collector.stats = lambda: stats

    def scrape_now() -> dict[str, float]:
        return {s.name: s.value for m in collector.collect() for s in m.samples}

    assert scrape_now()["imr_media_forwarded_packets_per_second"] == 0
    now[0], stats["forwarded_packets"] = 102.0, 3000
    first = scrape_now()
    assert first["imr_media_forwarded_packets_per_second"] == 1000
    assert first["imr_media_forwarded_packets_total"] == 2000
    # A room closed and took its packets out of the sum: the remaining sum counts as new.
    now[0], stats["forwarded_packets"], stats["rooms"] = 103.0, 500, 1
    second = scrape_now()
    assert second["imr_media_forwarded_packets_total"] == 2500
    assert second["imr_media_rooms"] == 1


@pytest.fixture
def sfu_worker(redis_url: str, redis_prefix: str, tmp_path: Path) -> Iterator[None]:
    """One ``imr-live sfu`` process on the test's Redis prefix."""
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "IMR_REDIS_PREFIX": redis_prefix,
        "IMR_DATA_DIR": str(tmp_path / "w"),
        "IMR_RECORDINGS_DIR": str(tmp_path / "rec"),
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "imr_live.cli", "sfu"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.terminate()
        proc.wait(15)


@pytest.fixture
async def web_node(
    tmp_path: Path, redis_url: str, redis_prefix: str, sfu_worker: None
) -> AsyncIterator[Server]:
    srv = await start_server(
        tmp_path, sfu=True, sfu_workers=True, redis_url=redis_url, redis_prefix=redis_prefix
    )
    try:
        yield srv
    finally:
        await srv.stop()


async def test_a_web_node_reports_the_loads_its_sfu_workers_last_announced(
    web_node: Server,
) -> None:
    assert await gauge_once_settled(web_node, "imr_sfu_workers", 1, 30) == 1
    clinician = await web_node.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(web_node, leader, await clinician.invite(sid), "Ann")
    peers = [SocketPeer(leader, clinician.id), SocketPeer(client, client_id)]
    try:
        for peer, colour in zip(peers, ("red", "blue"), strict=True):
            await peer.join()
            await peer.publish(colour)
        await eventually(lambda: peers[0].video_frames_from(client_id) > 5, what="media")
        samples = await scrape(web_node)
        (worker,) = [dict(k[1])["worker"] for k in samples if k[0] == "imr_sfu_worker_rooms"]
        assert await gauge_once_settled(web_node, "imr_sfu_worker_rooms", 1, 15, worker=worker) == 1
        got = await gauge_once_settled(
            web_node, "imr_sfu_worker_participants", 2, 15, worker=worker
        )
        assert got == 2
    finally:
        for peer in peers:
            await peer.close()
    assert not [k for k in await scrape(web_node) if k[0].startswith("imr_media_")]
