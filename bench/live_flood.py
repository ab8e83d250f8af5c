"""Slide latency while one hostile connection floods the live channel (issue 12).

One ``imr-live serve`` (SQLite, media off), a leader showing slides at 2/s and N
clients listening (raw websockets in 2 processes, as bench/live_fanout.py). The
same run measures slide latency quiet, then while an admitted client's raw
Engine.IO websocket (its own process) sends events at 1,000/s (``chat.send``,
whose accepted ones are logged and sent to everyone, or ``hand.lower``, refused
with nothing logged): either one socket until the server cuts it (``once``) or a socket that reconnects and
floods again as soon as it is cut, for the whole phase (``reconnect``, against
the per-address budgets: connects, events and refusals). The flooder connects
from its own loopback address (``--flood-address``, 127.0.0.2), everyone else
from 127.0.0.1, as a flooder on another network would. Prints quiet and flood
p50/p99, their ratio (target: at most 2), how long until each flooding socket
was cut (``closed`` message, then Engine.IO close ``1``), what was acked and
how many of its reconnects were refused.

    .venv/bin/python bench/live_flood.py --clients 50 --slides 40
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import statistics
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import socketio
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_fanout import ImrLive
from live_receivers import worker
from sfu_media import cpu_seconds

from tests.live.raw_socket import RawSocket

CLOSED = '42["closed",{"reason":"too_many_events"}]'


@dataclass
class SocketLife:
    """One flooding connection, from its first event to its end."""

    sent: int = 0
    acked_ok: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    told_closed_ms: float | None = None
    """Time from the first flood frame to the ``closed`` message."""
    eio_closed_ms: float | None = None
    """Time from the first flood frame to Engine.IO's close (``1``) or the socket's end."""


async def hostile_socket(url: str, auth: dict[str, Any], address: str) -> RawSocket | None:
    """Connect from ``address`` and join; None when the server refuses (address budgets)."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    raw = RawSocket(
        await websockets.connect(
            ws_url, max_size=2**22, ping_interval=None, local_addr=(address, 0)
        )
    )
    await raw.recv()  # Engine.IO open
    await raw.send("40" + json.dumps(auth))
    if not (await raw.recv()).startswith("40{"):
        await raw.close()
        return None
    await raw.send('420["join",{"display_name":"Flood"}]')
    welcome = await raw.ack(0)
    if not welcome.get("ok"):
        if welcome["error"]["code"] in ("rate_limited", "not_joined"):
            await raw.close()  # its address's budget is spent: counted as a refused reconnect
            return None
        raise RuntimeError(welcome)
    return raw


FLOOD_FRAMES = {
    "chat.send": '["chat.send",{{"text":"flood {n}"}}]',  # accepted ones are logged and sent to all
    "hand.lower": '["hand.lower",{{}}]',  # no hand is up: refused (conflict), nothing logged
}
"""The flooder's event, by name: ``{n}`` is its number."""


async def flood(raw: RawSocket, rate: float, event: str) -> SocketLife:
    """Send ``event`` at ``rate``/s until the server closes the socket."""
    life = SocketLife()
    started = time.perf_counter()

    async def read() -> None:
        with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
            while True:
                frame = await raw.recv(timeout=30)
                if frame.startswith("43"):
                    ack = json.loads(frame[frame.index("[") :])[0]
                    if ack.get("ok"):
                        life.acked_ok += 1
                    else:
                        code = ack["error"]["code"]
                        life.refused[code] = life.refused.get(code, 0) + 1
                elif frame == CLOSED:
                    life.told_closed_ms = (time.perf_counter() - started) * 1000
                elif frame == "1":
                    break
        life.eio_closed_ms = (time.perf_counter() - started) * 1000

    reader = asyncio.create_task(read())
    with contextlib.suppress(websockets.ConnectionClosed):
        while not reader.done():
            await raw.send(f"42{life.sent + 1}" + FLOOD_FRAMES[event].format(n=life.sent))
            life.sent += 1
            await asyncio.sleep(max(0.0, started + life.sent / rate - time.perf_counter()))
    await reader
    await raw.close()
    return life


async def keep_reading(raw: RawSocket) -> None:
    """Read (and so answer pings) until cancelled."""
    while True:
        await raw.recv(timeout=3600)


async def _flooder(
    url: str, auth: dict[str, Any], rate: float, address: str, pipe: Connection
) -> None:
    """Join once (the leader admits), then flood when told to, as told to."""
    first = await hostile_socket(url, auth, address)
    assert first is not None
    pipe.send("waiting")
    # Answer pings while waiting: a socket that goes silent can freeze its session (report).
    reading = asyncio.create_task(keep_reading(first))
    mode, event, seconds = await asyncio.to_thread(pipe.recv)  # admitted; wait for the phase
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    lives, refused_connects = [], 0
    end = time.monotonic() + seconds
    raw: RawSocket | None = first
    while True:
        if raw is not None:
            lives.append(await flood(raw, rate, event))
        if mode == "once" or time.monotonic() > end:
            break
        raw = await hostile_socket(url, auth, address)
        if raw is None:
            refused_connects += 1
            await asyncio.sleep(0.05)  # a refused connect is cheap: try again soon
    pipe.send(([life.__dict__ for life in lives], refused_connects))


def flooder(url: str, auth: dict[str, Any], rate: float, address: str, pipe: Connection) -> None:
    """Process entry point: the hostile client."""
    asyncio.run(_flooder(url, auth, rate, address, pipe))


async def admit_flooder(leader: socketio.AsyncClient) -> None:
    """Admit whoever is waiting (the flooder's first join)."""
    for _ in range(100):
        state = (await leader.call("join", {}, timeout=30))["state"]
        waiting = [p["id"] for p in state["people"] if p["status"] == "waiting"]
        if waiting:
            ack = await leader.call("waiting.admit", {"participant": waiting[0]}, timeout=30)
            if not ack["ok"]:
                raise RuntimeError(ack)
            return
        await asyncio.sleep(0.05)
    raise RuntimeError("the flooder never reached the waiting room")


def say(text: str) -> None:
    """Progress on stderr (the tables go to stdout)."""
    print(f"  {time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True)


def latencies(results: list[Any], sent: list[float], part: range) -> list[float]:
    """Milliseconds from the leader's emit to receipt, for the slides in ``part``."""
    return [(r[j][1] - sent[j]) * 1000 for r in results for j in part if j < len(r)]


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def run_variant(mode: str, event: str, args: argparse.Namespace) -> dict[str, Any]:
    """Quiet phase, then the flood phase, on a fresh server."""
    target = ImrLive()
    leader, auths = await target.start(args.clients + 1)
    flood_auth, auths = auths[-1], auths[:-1]
    ctx = mp.get_context("spawn")
    procs, pipes = [], []
    try:
        total = 2 * args.slides
        halves = (auths[: args.clients // 2], auths[args.clients // 2 :])
        for part in halves:
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(target.url, part, total, child))
            proc.start()
            procs.append(proc)
            pipes.append(parent)
        ids = [pid for p in pipes for pid in await asyncio.to_thread(p.recv)]
        await target.admit(leader, ids)
        say(f"{mode} {event}: {len(ids)} listeners admitted")
        hostile, hostile_child = ctx.Pipe()
        fproc = ctx.Process(
            target=flooder,
            args=(target.url, flood_auth, args.rate, args.flood_address, hostile_child),
        )
        fproc.start()
        procs.append(fproc)
        await asyncio.to_thread(hostile.recv)
        await admit_flooder(leader)
        await asyncio.sleep(1.0)
        say("flooder admitted; quiet phase")
        sent: list[float] = []
        server = target.procs[0].pid
        cpu = [cpu_seconds(server)]
        for i in range(total):
            if i == args.slides:  # the flood starts with the second phase
                cpu.append(cpu_seconds(server))
                hostile.send((mode, event, args.slides / args.slide_rate))
                say("flood phase")
                await asyncio.sleep(0.01)
            sent.append(time.time())
            ack = await leader.call("slide.show", {"index": i % 2}, timeout=60)
            if not ack["ok"]:
                raise RuntimeError(ack)
            await asyncio.sleep(max(0.0, 1 / args.slide_rate - (time.time() - sent[-1])))
        cpu.append(cpu_seconds(server))
        say("slides sent; collecting")
        results = [r for p in pipes for r in await asyncio.to_thread(p.recv)]
        lives, refused_connects = await asyncio.to_thread(hostile.recv)
        quiet = latencies(results, sent, range(args.slides))
        flooded = latencies(results, sent, range(args.slides, total))
        return {
            "quiet": quiet,
            "flood": flooded,
            "lost": args.clients * total - sum(len(r) for r in results),
            "lives": lives,
            "refused_connects": refused_connects,
            "cpu": (cpu[1] - cpu[0], cpu[2] - cpu[1]),
        }
    finally:
        for proc in procs:
            proc.join(30)
        await leader.disconnect()
        await target.stop()


def report(mode: str, event: str, m: dict[str, Any]) -> str:
    """One table row."""
    lives = m["lives"]
    told = [x["told_closed_ms"] for x in lives if x["told_closed_ms"] is not None]
    closed = [x["eio_closed_ms"] for x in lives if x["eio_closed_ms"] is not None]
    refused: dict[str, int] = {}
    for life in lives:
        for code, count in life["refused"].items():
            refused[code] = refused.get(code, 0) + count
    qp99, fp99 = p99(m["quiet"]), p99(m["flood"])
    return (
        f"| {mode} | {event} | {statistics.median(m['quiet']):.1f} | {qp99:.1f} "
        f"| {statistics.median(m['flood']):.1f} | {fp99:.1f} | {fp99 / qp99:.2f} "
        f"| {m['cpu'][0]:.1f} / {m['cpu'][1]:.1f} "
        f"| {len(lives)} ({m['refused_connects']} refused) "
        f"| {statistics.median(told) if told else float('nan'):.0f} / {max(told, default=0):.0f} "
        f"| {statistics.median(closed):.0f} / {max(closed):.0f} "
        f"| {sum(x['sent'] for x in lives)} | {sum(x['acked_ok'] for x in lives)} "
        f"| {', '.join(f'{k} {v}' for k, v in sorted(refused.items())) or '-'} | {m['lost']} |"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--slides", type=int, default=40, help="slides per phase (quiet, flood)")
    ap.add_argument("--slide-rate", type=float, default=2.0)
    ap.add_argument("--rate", type=float, default=1000.0, help="flood events per second")
    ap.add_argument("--variants", default="once,reconnect")
    ap.add_argument("--events", default="chat.send,hand.lower", help=", ".join(FLOOD_FRAMES))
    ap.add_argument("--flood-address", default="127.0.0.2", help="the flooder's source address")
    args = ap.parse_args()
    print(
        f"{args.clients} listeners, {args.slides} slides per phase at {args.slide_rate}/s; "
        f"flood: {args.rate:.0f} events/s from one admitted client\n"
    )
    print(
        "| flooder | event | quiet p50 ms | quiet p99 ms | flood p50 ms | flood p99 ms | p99 ratio "
        "| server CPU s quiet / flood | sockets | told closed ms med / max | transport closed ms med / max "
        "| events sent | acked ok | refused | slides lost |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    summaries = []
    for event in args.events.split(","):
        for mode in args.variants.split(","):
            measured = await run_variant(mode, event, args)
            print(report(mode, event, measured), flush=True)
            qp99, fp99 = p99(measured["quiet"]), p99(measured["flood"])
            summaries.append(
                f"{mode} {event}: quiet p99 {qp99:.1f} ms, flooded p99 {fp99:.1f} ms, "
                f"ratio {fp99 / qp99:.2f} ({'within' if fp99 <= 2 * qp99 else 'over'} the 2x target)"
            )
    print()
    for line in summaries:
        print(line)


if __name__ == "__main__":
    asyncio.run(main())
