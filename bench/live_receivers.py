"""Cheap live-channel receivers: raw Engine.IO/Socket.IO websockets, many per process.

Used by live_fanout.py; each worker process opens its share of connections,
joins, reports its participant ids, then timestamps every ``slide.shown``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

import websockets


async def _receiver(
    url: str,
    auth: dict[str, Any],
    ready: asyncio.Queue[Any],
    seen: list[tuple[int, float]],
    expected: int,
    done: asyncio.Event,
) -> None:
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with websockets.connect(ws_url, max_size=None, ping_interval=None) as ws:
        await ws.recv()  # Engine.IO open packet
        await ws.send("40" + json.dumps(auth))
        await ws.recv()  # Socket.IO connect
        await ws.send('420["join",{"display_name":"Reader"}]')
        while True:
            msg = await ws.recv()
            if msg == "2":
                await ws.send("3")
            elif msg.startswith("430"):
                ack = json.loads(msg[3:])[0]
                if ack.get("ok") is False:  # count it, say it, and ask again as a page would
                    print(f"join refused: {ack.get('error')}", file=sys.stderr)
                    await asyncio.sleep(0.5)
                    await ws.send('420["join",{"display_name":"Reader"}]')
                    continue
                await ready.put(ack.get("you", {}).get("id"))
                break
        while len(seen) < expected:
            msg = await asyncio.wait_for(ws.recv(), 60)
            if msg == "2":
                await ws.send("3")
            elif msg.startswith('42["event"') and '"slide.shown"' in msg:
                payload = json.loads(msg[2:])[1]
                seen.append((payload["data"]["index"], time.time()))
        await done.wait()


async def _run(url: str, auths: list[dict[str, Any]], expected: int, pipe: Connection) -> None:
    ready: asyncio.Queue[Any] = asyncio.Queue()
    done = asyncio.Event()
    results: list[list[tuple[int, float]]] = [[] for _ in auths]
    tasks = []
    for i in range(0, len(auths), 25):  # connect in batches, as real clients trickle in
        for j in range(i, min(i + 25, len(auths))):
            tasks.append(
                asyncio.create_task(_receiver(url, auths[j], ready, results[j], expected, done))
            )
        await asyncio.sleep(0.05)
    ids = [await asyncio.wait_for(ready.get(), 60) for _ in auths]
    pipe.send(ids)
    deadline = time.monotonic() + 120
    while any(len(r) < expected for r in results) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    pipe.send(results)
    done.set()
    await asyncio.gather(*tasks, return_exceptions=True)


def worker(url: str, auths: list[dict[str, Any]], expected: int, pipe: Connection) -> None:
    """Process entry point."""
    asyncio.run(_run(url, auths, expected, pipe))
