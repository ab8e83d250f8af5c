"""Soak: 8-person rooms of real aiortc peers with churn; the server's memory and fds over time.

One ``imr-live serve`` (SQLite, in-process SFU). Each room is a session whose
leader and 7 clients are python-socketio connections, each with an aiortc peer
that signals over the live channel (``media``), publishes pre-encoded VP8 and
Opus (bench/sfu_media.py) and receives everyone else (counted, not decoded, as
bench/sfu_bench.py does). Every ``--churn-s`` seconds one client per room goes
and comes back: alternately by ``leave`` and by just closing (a dropped tab),
then a new connection with the same link, ``join``, media ``join`` and
``publish``. Every ``--sample-s`` seconds it reads the server's RSS, open file
descriptors (/proc/PID/fd) and threads, and from /metrics the live connections,
media participants, peer connections and the server's asyncio tasks
(``imr_asyncio_tasks``). At the end it prints growth from the first sample
after ``--warmup-s`` to the last (targets: RSS < 5 %, fds and tasks flat) and
the slope of RSS and tasks per 5 minutes (least squares over the samples after
warm-up).

    .venv/bin/python bench/soak.py                      # 1 room, 10 minutes
    .venv/bin/python bench/soak.py --minutes 60         # the long run
    .venv/bin/python bench/soak.py --minutes 3 --sample-s 30 --warmup-s 60
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_fanout import ImrLive, open_session
from sfu_bench import RX, BenchPeer, Signalling
from sfu_media import opus_clip, vp8_clip

from tests.live.harness import LiveClient


class LiveSignalling(Signalling):
    """A bench peer's signalling over its person's live-channel connection."""

    def __init__(self, client: LiveClient) -> None:
        super().__init__()
        self.client = client

    async def connect(self) -> None:
        return

    async def request(self, pid: str, msg: dict[str, Any], stats: bool = False) -> Any:
        ack = await self.client.call("media", msg)
        if not ack.get("ok"):
            raise RuntimeError(f"media {msg['type']} refused: {ack}")
        return ack

    async def close(self) -> None:
        return


@dataclass
class Person:
    """Someone in a room: a live-channel connection and the aiortc peer on it."""

    auth: dict[str, Any]
    client: LiveClient | None = None
    peer: BenchPeer | None = None
    pid: str = ""

    async def arrive(self, url: str, frames: Any, opus: list[bytes], start: int) -> None:
        """Connect, join (already admitted people come straight back), join media and publish."""
        self.client = await LiveClient.open(url, self.auth)
        ack = await self.client.call("join", {"display_name": "Soak"})
        if not ack.get("ok"):
            raise RuntimeError(f"join refused: {ack}")
        self.pid = ack["you"]["id"]
        if ack["status"] == "waiting":
            await self.client.wait_for(lambda name, _data: name == "admitted", timeout=30)
        await self.join_media(frames, opus, start)

    async def join_media(self, frames: Any, opus: list[bytes], start: int) -> None:
        assert self.client is not None
        self.peer = BenchPeer(self.pid, LiveSignalling(self.client))
        peer = self.peer
        self.client.listeners.append(lambda n, d: peer.on_event(d) if n == "media" else None)
        await peer.join()
        await peer.publish(frames, opus, start)

    async def go(self, by_leave: bool) -> None:
        """Leave on purpose, or vanish as a closed tab does (whatever of it is open)."""
        if by_leave and self.client is not None:
            await self.client.call("leave")
        if self.peer is not None:
            await self.peer.close()
        if self.client is not None:
            await self.client.close()
        self.client, self.peer = None, None


async def open_room(url: str, people: int) -> list[Person]:
    """A session with a leader and ``people - 1`` clients, all admitted."""
    leader, auths = await open_session(url, people - 1)
    await leader.disconnect()
    session_auth = dict(leader.connection_auth)
    room = [Person(session_auth)] + [Person(a) for a in auths]
    await room[0].arrive(url, FRAMES[0], OPUS[0], 0)
    assert room[0].client is not None
    for i, person in enumerate(room[1:], 1):
        arriving = asyncio.create_task(person.arrive(url, FRAMES[0], OPUS[0], i * 7))
        waiting = await room[0].client.wait_for(
            lambda n, d: (
                n == "event"
                and d["kind"] == "participant.joined"
                and d["data"]["waiting"]
                and d["data"]["participant"] not in {p.pid for p in room}
            ),
            timeout=30,
        )
        await room[0].client.call("waiting.admit", {"participant": waiting["data"]["participant"]})
        await arriving
    return room


FRAMES: list[Any] = []
OPUS: list[list[bytes]] = []


async def churn(
    url: str, room: list[Person], every: float, stop: float, counts: Counter[str]
) -> None:
    """One client at a time goes and comes back until ``stop`` (monotonic seconds).

    A return that fails (a refusal, or no answer within the client's 10 s) is
    counted and said on stderr; that person is closed and tried again later.
    """
    rng = random.Random(len(room))
    while time.monotonic() < stop:
        await asyncio.sleep(every)
        person = rng.choice(room[1:])
        try:
            if person.client is not None:
                await person.go(by_leave=counts["ok"] % 2 == 0)
                await asyncio.sleep(every / 2)
            await person.arrive(url, FRAMES[0], OPUS[0], rng.randrange(100))
            counts["ok"] += 1
        except (TimeoutError, RuntimeError, socketio.exceptions.SocketIOError) as exc:
            counts["failed"] += 1
            print(f"  churn failed: {exc!r}", file=sys.stderr, flush=True)
            await person.go(by_leave=False)


def proc_status(pid: int) -> dict[str, int]:
    """RSS (kB) and threads from /proc/PID/status, open fds from /proc/PID/fd."""
    text = Path(f"/proc/{pid}/status").read_text()
    rss = int(re.search(r"VmRSS:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    threads = int(re.search(r"Threads:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return {"rss_kb": rss, "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": threads}


GAUGES = (
    "imr_live_connections",
    "imr_media_participants",
    "imr_media_peer_connections",
    "imr_asyncio_tasks",
)


async def gauges(http: aiohttp.ClientSession) -> dict[str, int]:
    """The live and media gauges of /metrics."""
    async with http.get("/metrics") as r:
        text = await r.text()
    found = {}
    for name in GAUGES:
        match = re.search(rf"^{name} ([0-9.e+]+)$", text, re.M)
        found[name] = int(float(match.group(1))) if match else -1
    return found


def received_video_packets() -> int:
    return sum(counts[0] for counts in RX.values())


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--rooms", type=int, default=1)
    ap.add_argument("--people", type=int, default=8)
    ap.add_argument("--churn-s", type=float, default=5.0, help="seconds between departures")
    ap.add_argument("--sample-s", type=float, default=60.0)
    ap.add_argument("--warmup-s", type=float, default=60.0)
    ap.add_argument("--kbps", type=int, default=300, help="video bitrate of each publisher")
    ap.add_argument("--server-log", type=Path, help="append the server's log here (else dropped)")
    args = ap.parse_args()
    FRAMES.append(vp8_clip(bitrate=args.kbps * 1000))
    OPUS.append(opus_clip())
    target = ImrLive({"IMR_SFU": "1"}, stderr=args.server_log)
    leader, _ = await target.start(0)
    await leader.disconnect()
    server = target.procs[0].pid
    rooms: list[list[Person]] = []
    try:
        for _ in range(args.rooms):
            rooms.append(await open_room(target.url, args.people))
        print(
            f"{args.rooms} room(s) of {args.people}, everyone publishing VP8 {args.kbps} kbit/s "
            f"+ Opus and receiving the others; one departure and return per room every "
            f"{args.churn_s:g} s; {args.minutes:g} min\n"
        )
        print(
            "| min | RSS MB | fds | threads | live conns | media people | peer conns "
            "| tasks | returns (failed) | video pkts/s received |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        started = time.monotonic()
        stop = started + args.minutes * 60
        counts: Counter[str] = Counter()
        churners = [
            asyncio.create_task(churn(target.url, room, args.churn_s, stop, counts))
            for room in rooms
        ]
        samples = []
        async with aiohttp.ClientSession(base_url=target.url) as http:
            packets, at = received_video_packets(), time.monotonic()
            while True:
                now = time.monotonic()
                sample = {"t": now - started, **proc_status(server), **await gauges(http)}
                rate = (received_video_packets() - packets) / (now - at) if samples else 0.0
                packets, at = received_video_packets(), now
                samples.append(sample)
                print(
                    f"| {sample['t'] / 60:.1f} | {sample['rss_kb'] / 1024:.1f} | {sample['fds']} "
                    f"| {sample['threads']} | {sample['imr_live_connections']} "
                    f"| {sample['imr_media_participants']} "
                    f"| {sample['imr_media_peer_connections']} | {sample['imr_asyncio_tasks']} "
                    f"| {counts['ok']} ({counts['failed']} failed) "
                    f"| {rate:.0f} |",
                    flush=True,
                )
                if now >= stop:
                    break
                await asyncio.sleep(min(args.sample_s, max(0.0, stop - time.monotonic())))
        await asyncio.gather(*churners)
        growth(samples, args.warmup_s)
    finally:
        for room in rooms:
            for person in room:
                if person.client is not None:
                    await person.go(by_leave=False)
        await target.stop()


def growth(samples: list[dict[str, Any]], warmup_s: float) -> None:
    """RSS and fd change from the first sample after warm-up to the last."""
    after = [s for s in samples if s["t"] >= warmup_s]
    if len(after) < 2:
        print("\n(not enough samples after warm-up to say)")
        return
    first, last = after[0], after[-1]
    rss = (last["rss_kb"] - first["rss_kb"]) / first["rss_kb"] * 100
    print(
        f"\nafter warm-up ({first['t'] / 60:.1f} → {last['t'] / 60:.1f} min): RSS "
        f"{first['rss_kb'] / 1024:.1f} → {last['rss_kb'] / 1024:.1f} MB ({rss:+.1f} %, target < 5 %), "
        f"fds {first['fds']} → {last['fds']} (min {min(s['fds'] for s in after)}, "
        f"max {max(s['fds'] for s in after)}), threads {first['threads']} → {last['threads']}, "
        f"tasks {first['imr_asyncio_tasks']} → {last['imr_asyncio_tasks']} "
        f"(min {min(s['imr_asyncio_tasks'] for s in after)}, "
        f"max {max(s['imr_asyncio_tasks'] for s in after)})"
    )
    print(
        f"slope per 5 min after warm-up: RSS {slope(after, 'rss_kb') / 1024:+.2f} MB, "
        f"tasks {slope(after, 'imr_asyncio_tasks'):+.1f}, fds {slope(after, 'fds'):+.1f}"
    )


def slope(samples: list[dict[str, Any]], key: str) -> float:
    """Least-squares change of ``key`` per 5 minutes."""
    ts = [s["t"] / 300 for s in samples]
    ys = [float(s[key]) for s in samples]
    mt, my = sum(ts) / len(ts), sum(ys) / len(ys)
    var = sum((t - mt) ** 2 for t in ts)
    return sum((t - mt) * (y - my) for t, y in zip(ts, ys, strict=True)) / var if var else 0.0


if __name__ == "__main__":
    asyncio.run(main())
