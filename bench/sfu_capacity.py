"""SFU capacity: groups of 6 at >= 25 fps and forwarded packets/s, with 1 and 2 workers.

  .venv/bin/python bench/sfu_capacity.py            # 1 then 2 workers, ~4 minutes
  .venv/bin/python bench/sfu_capacity.py --quick    # shorter windows, at most 4 groups

The workers are real `imr-live sfu` processes; this process reaches them the
way a web node does: `RemoteSfu` (imr_live/media/rpc.py) places each room on
the least-loaded live worker through Redis and sends signalling on the
worker's Redis queue; the workers' events (subscriber offers) come back on
the Socket.IO Redis channel, read here directly. Groups of 6 are added one at
a time (everyone publishes pre-encoded VP8 640x480 30 fps + Opus and
receives the other five, as in bench/sfu_bench.py) until the slowest
subscriber leg drops below 25 fps or --max-groups is reached.

Subscriber legs are counted cheaply: an RTP datagram of a counted leg is
recognised by its SSRC (the SRTP header is in the clear) as it arrives and
dropped there, before ICE, SRTP and the jitter buffer; one leg of the newest
group is decoded with libvpx. This machine has 2 cores and the load
generator shares them with the workers, so the script also projects capacity
from the workers' measured CPU per group, which the load generator does not
distort.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aioice.ice
from sfu_bench import (
    AUDIO_RX,
    COUNT_ONLY,
    DECODING,
    RX,
    BenchPeer,
    Signalling,
    wait_for,
)
from sfu_media import cpu_seconds, machine_busy, opus_clip, vp8_clip

from imr_live.media.rooms import person_room
from imr_live.media.rpc import RemoteSfu

ROOT = Path(__file__).resolve().parents[1]
GROUP = 6
MIN_FPS = 25.0
PLANNED_CORE = 0.7  # docs/deploy.md: plan a worker at 0.7 of a core

# --- cheapest counting: a counted leg's RTP stops at the socket ---

_original_datagram = aioice.ice.StunProtocol.datagram_received


def _count_datagram(self: aioice.ice.StunProtocol, data: Any, addr: Any) -> None:
    # RTP (not RTCP: payload types 64-95 with the marker bit are RTCP under rtcp-mux)
    if 127 < data[0] < 192 and not 64 <= data[1] & 0x7F <= 95 and len(data) >= 12:
        counts = COUNT_ONLY.get(int.from_bytes(data[8:12], "big"))
        if counts is not None:
            counts[0] += 1
            counts[1] += data[1] >> 7
            return
    _original_datagram(self, data, addr)


aioice.ice.StunProtocol.datagram_received = _count_datagram  # type: ignore[method-assign]

# --- signalling the deployed way: RemoteSfu over Redis ---


class RoomSignalling(Signalling):
    """One group's signalling through RemoteSfu; events arrive via `Events`."""

    def __init__(self, remote: RemoteSfu, room: str) -> None:
        super().__init__()
        self.remote = remote
        self.room = room

    async def connect(self) -> None:
        return

    async def request(self, pid: str, msg: dict[str, Any], stats: bool = False) -> Any:
        return await self.remote.handle(self.room, pid, msg)

    async def close(self) -> None:
        return


class Events:
    """The workers' Socket.IO emits (JSON on `<prefix>socketio`), routed to bench peers."""

    def __init__(self, remote: RemoteSfu, prefix: str) -> None:
        self.pubsub = remote.redis.pubsub()
        self.channel = f"{prefix}socketio"
        self.rooms: dict[str, RoomSignalling] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.pubsub.subscribe(self.channel)
        self._task = asyncio.create_task(self._listen())

    async def _listen(self) -> None:
        async for item in self.pubsub.listen():
            if item.get("type") != "message":
                continue
            message = json.loads(item["data"])
            if message.get("method") != "emit" or message.get("event") != "media":
                continue
            for signalling in self.rooms.values():
                for pid, peer in signalling.peers.items():
                    if message.get("room") == person_room(signalling.room, pid):
                        peer.on_event(message["data"][0])  # emit arguments, as a list

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.pubsub.aclose()


# --- workers ---


@dataclass
class Workers:
    """`imr-live sfu` processes of one run."""

    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)

    async def start(self, count: int, env: dict[str, str], tmp: Path, remote: RemoteSfu) -> None:
        for _ in range(count):
            log = tmp / f"worker-{len(self.logs)}.log"
            self.logs.append(log)
            with log.open("wb") as out:
                self.procs.append(
                    subprocess.Popen(
                        [str(Path(sys.executable).parent / "imr-live"), "sfu"],
                        env=env,
                        cwd=tmp,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                    )
                )
        pids = {p.pid for p in self.procs}
        deadline = time.monotonic() + 30
        while set(worker_pid(w) for w in await remote.placement.workers()) != pids:
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.procs):
                raise RuntimeError(f"SFU workers did not start; see {self.logs}")
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.to_thread(proc.wait, 20)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait)
        self.procs = []


def worker_pid(worker_id: str) -> int:
    match = re.match(r"sfu-(\d+)-", worker_id)
    assert match, worker_id
    return int(match.group(1))


# --- groups ---


@dataclass
class Group:
    """Six participants in one room, all publishing and subscribing."""

    room: str
    signalling: RoomSignalling
    peers: list[BenchPeer] = field(default_factory=list)
    worker: int = 0
    """pid of the worker holding the room."""

    def legs(self) -> tuple[list[list[int]], list[list[int]]]:
        """(video, audio) counters of every subscriber leg of the group."""
        video: list[list[int]] = []
        audio: list[list[int]] = []
        for peer in self.peers:
            if peer.sub_pc is None:
                continue
            for transceiver in peer.sub_pc.getTransceivers():
                receiver = transceiver.receiver
                if receiver in RX:
                    video.append(RX[receiver])
                elif receiver in AUDIO_RX:
                    audio.append(AUDIO_RX[receiver])
        return video, audio

    def stop_decoding(self) -> None:
        """The sampled leg goes back to cheap counting (only the newest group decodes)."""
        for peer in self.peers:
            for receiver, ssrc in peer.leg_ssrcs.items():
                if receiver in DECODING:
                    COUNT_ONLY[ssrc] = RX[receiver]

    async def close(self, remote: RemoteSfu) -> None:
        for peer in self.peers:
            await peer.close()
        await remote.close_room(self.room)


async def add_group(
    remote: RemoteSfu, events: Events, index: int, frames: Any, opus: list[bytes]
) -> Group:
    room = f"cap-{index}"
    signalling = RoomSignalling(remote, room)
    events.rooms[room] = signalling
    group = Group(room, signalling)
    for i in range(GROUP):
        last = i == GROUP - 1
        peer = BenchPeer(f"g{index}p{i}", signalling, decode=last, decode_max=1)
        group.peers.append(peer)
        await peer.join()
        await peer.publish(frames, opus, start=index * 11 + i * 7)
    holder = await remote.redis.get(remote.placement.key("room", room))
    group.worker = worker_pid(str(holder))

    def flowing() -> bool:
        video, audio = group.legs()
        return (
            len(video) == len(audio) == GROUP * (GROUP - 1)
            and all(c[1] > 0 for c in video)
            and all(c[0] > 0 for c in audio)
        )

    await wait_for(flowing, 60, f"media in group {index}")
    return group


# --- one measured step ---


def snapshot(workers: list[int], groups: list[Group]) -> dict[str, Any]:
    legs = [g.legs() for g in groups]
    sample = groups[-1].peers[-1] if groups else None
    return {
        "t": time.monotonic(),
        "workers": {pid: cpu_seconds(pid) for pid in workers},
        "self": cpu_seconds(os.getpid()),
        "machine": machine_busy(),
        "video": [[list(c) for c in v] for v, _ in legs],
        "audio": [sum(c[0] for c in a) for _, a in legs],
        "decoded": sum(sample.decoded.values()) if sample else 0,
    }


def step_row(
    workers: list[int], groups: list[Group], a: dict[str, Any], b: dict[str, Any]
) -> dict[str, Any]:
    dt = b["t"] - a["t"]
    pps_by_worker = dict.fromkeys(workers, 0.0)
    fps: list[float] = []
    for g, va, vb, aa, ab in zip(
        groups, a["video"], b["video"], a["audio"], b["audio"], strict=True
    ):
        packets = sum(y[0] - x[0] for x, y in zip(va, vb, strict=True)) + ab - aa
        pps_by_worker[g.worker] += packets / dt
        fps += [(y[1] - x[1]) / dt for x, y in zip(va, vb, strict=True)]
    busy = (b["machine"][0] - a["machine"][0]) / max(b["machine"][1] - a["machine"][1], 1e-9)
    return {
        "workers": len(workers),
        "groups": len(groups),
        "per_worker_groups": [sum(g.worker == pid for g in groups) for pid in workers],
        "pps": sum(pps_by_worker.values()),
        "per_worker_pps": [pps_by_worker[pid] for pid in workers],
        "worker_cpu": [(b["workers"][pid] - a["workers"][pid]) / dt for pid in workers],
        "min_fps": min(fps) if fps else float("nan"),
        "decoded_fps": (b["decoded"] - a["decoded"]) / dt if groups else float("nan"),
        "loadgen_cpu": (b["self"] - a["self"]) / dt,
        "machine_busy": busy,
    }


async def measure(
    workers: list[int], groups: list[Group], warmup: float, window: float
) -> dict[str, Any]:
    await asyncio.sleep(warmup)
    before = snapshot(workers, groups)
    await asyncio.sleep(window)
    return step_row(workers, groups, before, snapshot(workers, groups))


def print_row(row: dict[str, Any], note: str = "") -> None:
    cpu = " / ".join(f"{c:.2f}" for c in row["worker_cpu"])
    placed = "+".join(str(n) for n in row["per_worker_groups"])
    print(
        f"| {row['workers']} | {row['groups']} ({placed}) | {row['pps']:.0f} | {cpu} | "
        f"{row['min_fps']:.1f} | {row['decoded_fps']:.1f} | {row['loadgen_cpu']:.2f} | "
        f"{row['machine_busy']:.2f} | {note} |",
        flush=True,
    )


HEADER = (
    "| workers | groups of 6 (per worker) | fwd pkts/s | worker CPU (each) | min sub fps (RTP) "
    "| decoded fps (sample) | loadgen CPU | machine busy | |\n"
    "|---|---|---|---|---|---|---|---|---|"
)


# --- one run: N workers, groups added until the fps drops ---


async def run(count: int, args: argparse.Namespace, tmp: Path) -> list[dict[str, Any]]:
    prefix = f"bench-{secrets.token_hex(4)}:"
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMR_")}
    env.update(
        REDIS_URL=args.redis_url,
        IMR_REDIS_PREFIX=prefix,
        IMR_ICE_HOSTS="127.0.0.1",
        IMR_DATA_DIR=str(tmp / "data"),
        IMR_RECORDINGS_DIR=str(tmp / "recordings"),
    )
    for store in (RX, AUDIO_RX, COUNT_ONLY):
        store.clear()
    DECODING.clear()
    remote = RemoteSfu(args.redis_url, prefix)
    await remote.start()
    events = Events(remote, prefix)
    await events.start()
    workers = Workers()
    groups: list[Group] = []
    rows: list[dict[str, Any]] = []
    frames, opus = vp8_clip(), opus_clip()
    try:
        await workers.start(count, env, tmp, remote)
        pids = [p.pid for p in workers.procs]
        row = await measure(pids, groups, 1, args.measure)
        rows.append(row)
        print_row(row, "idle")
        retried = False
        while len(groups) < args.max_groups:
            # placement counts rooms from the heartbeats: wait until they show every room
            await wait_for_rooms(remote, len(groups))
            if groups:
                groups[-1].stop_decoding()
            groups.append(await add_group(remote, events, len(groups) + 1, frames, opus))
            row = await measure(pids, groups, args.warmup, args.measure)
            note = ""
            if row["min_fps"] < MIN_FPS and not retried:
                print_row(row, "below 25 fps: measured again")
                retried = True
                row = await measure(pids, groups, 0, args.measure)
                note = "re-measured"
            rows.append(row)
            print_row(row, note if row["min_fps"] >= MIN_FPS else "below 25 fps: stop")
            if row["min_fps"] < MIN_FPS:
                break
    finally:
        for group in groups:
            with contextlib.suppress(Exception):
                await group.close(remote)
        await events.close()
        await remote.close()
        await workers.stop()
        await clear_prefix(args.redis_url, prefix)
    return rows


async def wait_for_rooms(remote: RemoteSfu, rooms: int) -> None:
    async def reported() -> int:
        return sum(w.get("rooms", 0) for w in (await remote.placement.workers()).values())

    deadline = time.monotonic() + 10
    while await reported() < rooms and time.monotonic() < deadline:
        await asyncio.sleep(0.2)


async def clear_prefix(url: str, prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(url)
    try:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


# --- summary ---


def sustained(rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The largest step at which every subscriber leg kept >= 25 fps."""
    ok = [r for r in rows if r["groups"] and r["min_fps"] >= MIN_FPS]
    return ok[-1] if ok else None


def held(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The idle row and every step at which all legs kept >= 25 fps."""
    return [r for r in rows if r["groups"] == 0 or r["min_fps"] >= MIN_FPS]


def line(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares (intercept, slope): less noisy than any one step (CPU comes in 10 ms ticks)."""
    if len(points) < 2:
        return None
    mx = sum(x for x, _ in points) / len(points)
    my = sum(y for _, y in points) / len(points)
    var = sum((x - mx) ** 2 for x, _ in points)
    if var == 0:
        return None
    slope = sum((x - mx) * (y - my) for x, y in points) / var
    return my - slope * mx, slope


def worker_points(rows: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(groups it holds, its CPU) of every worker at every step that held 25 fps."""
    return [
        (float(g), cpu)
        for r in held(rows)
        for g, cpu in zip(r["per_worker_groups"], r["worker_cpu"], strict=True)
    ]


def summary(runs: dict[int, list[dict[str, Any]]]) -> None:
    print("\n#### Summary\n")
    print(
        "| workers | groups sustained at >= 25 fps | fwd pkts/s there | worker CPU there (sum) "
        "| worker µs per fwd packet (ingress included) | loadgen CPU there | machine busy there |"
    )
    print("|---|---|---|---|---|---|---|")
    got: dict[int, tuple[int, float]] = {}
    for count, rows in runs.items():
        top = sustained(rows)
        if top is None:
            print(f"| {count} | 0 | - | - | - | - | - |")
            continue
        cpu = sum(top["worker_cpu"])
        print(
            f"| {count} | {top['groups']} | {top['pps']:.0f} | {cpu:.2f} "
            f"| {cpu / top['pps'] * 1e6:.1f} | {top['loadgen_cpu']:.2f} "
            f"| {top['machine_busy']:.2f} |"
        )
        got[count] = (top["groups"], top["pps"])
    print(
        "\nOne worker's CPU (cores) against the groups it holds, at steps that held 25 fps "
        "(mean when several):\n"
    )
    table: dict[int, dict[int, float]] = {}
    for count, rows in runs.items():
        by_groups: dict[int, list[float]] = {}
        for g, cpu in worker_points(rows):
            by_groups.setdefault(int(g), []).append(cpu)
        table[count] = {g: sum(v) / len(v) for g, v in by_groups.items()}
    most = max((g for t in table.values() for g in t), default=0)
    print("| groups on the worker | " + " | ".join(f"{c}-worker run" for c in runs) + " |")
    print("|---" * (len(runs) + 1) + "|")
    for g in range(most + 1):
        cells = [f"{t[g]:.2f}" if g in t else "-" for t in table.values()]
        print(f"| {g} | " + " | ".join(cells) + " |")
    print()
    for count, rows in runs.items():
        last = rows[-1]
        if last["groups"] and last["min_fps"] < MIN_FPS:
            cpu_text = " / ".join(f"{c:.2f}" for c in last["worker_cpu"])
            print(
                f"- {count} worker{'s' if count > 1 else ''} stopped at {last['groups']} groups: "
                f"worker CPU {cpu_text}, loadgen {last['loadgen_cpu']:.2f}, "
                f"machine busy {last['machine_busy']:.2f}"
            )
    if 1 in table and 2 in table:
        same = [g for g in table[2] if g and g in table[1]]
        if same:
            gap = sum(table[2][g] - table[1][g] for g in same) / len(same)
            verdict = (
                "the same cost, so capacity adds up with workers (a core each)"
                if abs(gap) <= 0.05
                else "workers side by side cost more here (they share 2 cores)"
                if gap > 0
                else "workers side by side cost less here (within the noise of a shared 2-core machine)"
            )
            print(
                f"- a worker of the 2-worker run costs {gap:+.3f} core against the lone worker "
                f"holding as many groups (mean over {len(same)} group counts): {verdict}"
            )
    pooled = line([p for rows in runs.values() for p in worker_points(rows)])
    if pooled is not None and pooled[1] > 0 and got:
        idle, cost = pooled
        per_worker = (PLANNED_CORE - idle) / cost
        pps_per_group = sum(pps / g for g, pps in got.values()) / len(got)
        print(
            f"- all runs pooled, a worker costs {idle:.2f} + {cost:.3f} core per group of 6 "
            f"(~{pps_per_group:.0f} forwarded pkts/s each): at {PLANNED_CORE} core that is "
            f"{per_worker:.1f} groups and {per_worker * pps_per_group:.0f} pkts/s per worker"
        )
        if 1 in got and 2 in got:
            (g1, p1), (g2, p2) = got[1], got[2]
            print(
                f"- measured here, 2 workers / 1 worker: groups {g2}/{g1} = {g2 / g1:.2f}x, "
                f"forwarded pkts/s {p2 / p1:.2f}x (the load generator shares the 2 cores)"
            )
            print(
                f"- projected with a core per worker at {PLANNED_CORE}: 1 worker "
                f"{per_worker:.1f} groups, 2 workers {2 * per_worker:.1f} groups (2.00x)"
            )


async def main_async(args: argparse.Namespace) -> None:
    vp8_clip()  # encode the clip once, before anything is measured
    tmp = Path(tempfile.mkdtemp(prefix="imr-sfu-capacity-"))
    print(f"# SFU capacity ({time.strftime('%Y-%m-%d %H:%M:%S %Z')}, {os.cpu_count()} cores)\n")
    print(
        f"command: `{' '.join(sys.argv)}`; warmup {args.warmup} s, measure {args.measure} s, "
        f"load average at start {os.getloadavg()[0]:.2f}\n"
    )
    print(HEADER)
    runs: dict[int, list[dict[str, Any]]] = {}
    try:
        for count in args.workers:
            runs[count] = await run(count, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    summary(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2])
    parser.add_argument("--max-groups", type=int, default=12)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--measure", type=float, default=8)
    parser.add_argument(
        "--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379")
    )
    parser.add_argument("--quick", action="store_true", help="at most 4 groups, short windows")
    args = parser.parse_args()
    if args.quick:
        args.max_groups, args.warmup, args.measure = 4, 2, 4
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
