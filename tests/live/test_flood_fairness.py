"""A flooder that reconnects cannot win a fresh budget each time (issue 12, fairness).

The flooder connects from 127.0.0.2, everyone else from 127.0.0.1: the server
keys its budgets by the client's address. Before per-address event budgets, each
new connection of the flooder got a full burst (30 events) and 30 refusals
before its cut, and could reconnect at once, over and over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
import websockets

from tests.live.harness import LiveClient, Server
from tests.live.raw_socket import RawSocket
from tests.live.test_permissions import admitted_guest

FLOODER = "127.0.0.2"
CLOSED = '42["closed",{"reason":"too_many_events"}]'


async def open_from(
    url: str, auth: dict[str, Any], address: str
) -> tuple[RawSocket | None, dict[str, Any]]:
    """Connect from ``address``: (the socket, {}) or (None, the refusal's data)."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = await websockets.connect(ws_url, max_size=2**22, local_addr=(address, 0))
    raw = RawSocket(ws)
    assert (await raw.recv()).startswith("0{")
    await raw.send("40" + json.dumps(auth))
    answer = await raw.recv()
    if answer.startswith("40{"):
        return raw, {}
    assert answer.startswith("44"), answer
    await raw.close()
    return None, json.loads(answer[2:])["data"]


@dataclass
class Flood:
    """What one flooding connection saw."""

    ok: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    told_closed: bool = False


async def flood(raw: RawSocket, frames: int) -> Flood:
    """Join, send ``frames`` chat lines at once, read until the server closes the socket."""
    seen = Flood()
    await raw.send('421["join",{}]')
    for n in range(2, frames + 2):
        await raw.send(f'42{n}["chat.send",{{"text":"flood {n}"}}]')
    with contextlib.suppress(websockets.ConnectionClosed, TimeoutError):
        while True:
            frame = await raw.recv(timeout=20)
            if frame.startswith("43"):
                ack = json.loads(frame[frame.index("[") :])[0]
                if ack["ok"]:
                    seen.ok += 1
                else:
                    code = ack["error"]["code"]
                    seen.refused[code] = seen.refused.get(code, 0) + 1
            elif frame == CLOSED:
                seen.told_closed = True
            elif frame == "1":
                break
    await raw.close()
    return seen


async def steady_chat(client: LiveClient, stop: asyncio.Event) -> list[dict[str, Any]]:
    """A normal participant: one chat line every 150 ms (under 10/s) until ``stop``."""
    acks = []
    while not stop.is_set():
        acks.append(await client.call("chat.send", {"text": f"ann {len(acks)}"}))
        await asyncio.sleep(0.15)
    return acks


async def test_a_reconnecting_flooder_is_refused_while_others_still_land(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="imr_live.socket")
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann, _ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    flood_auth = {"token": await clinician.invite(sid)}
    first, _ = await open_from(server.url, flood_auth, FLOODER)
    assert first is not None
    await first.send('421["join",{"display_name":"Flo"}]')
    flooder_id = (await first.ack(1))["you"]["id"]
    await leader.ok("waiting.admit", {"participant": flooder_id})

    stop = asyncio.Event()
    chatting = asyncio.create_task(steady_chat(ann, stop))
    floods = [await flood(first, 200)]
    refused_connects: list[str] = []
    while len(floods) < 5:  # reconnect as soon as allowed, and flood again
        raw, refusal = await open_from(server.url, flood_auth, FLOODER)
        if raw is None:
            refused_connects.append(refusal["code"])
            await asyncio.sleep(0.1)
            continue
        floods.append(await flood(raw, 200))
    stop.set()
    ann_acks = await chatting

    # Every flooding connection was told why it was closed.
    assert all(f.told_closed for f in floods), floods
    # The reconnect right after the cut was refused, with the catalogued code.
    assert refused_connects and set(refused_connects) == {"rate_limited"}, refused_connects
    # A reconnected flooder starts from its address's spent budget, not a fresh one:
    # once the address's refusals (twice a connection's) are spent, each new
    # connection is cut after a few refusals (the first one had its own 30 to spend).
    first_refusals = floods[0].refused.get("rate_limited", 0)
    assert first_refusals >= 30, floods[0]
    for later in floods[2:]:
        assert later.refused.get("rate_limited", 0) < first_refusals // 2, later
    # The normal participant's events all landed, and everyone saw them.
    assert ann_acks and all(a["ok"] for a in ann_acks), [a for a in ann_acks if not a["ok"]]
    for i in range(len(ann_acks)):
        await leader.wait_event("chat.sent", text=f"ann {i}")
    # Others on their own address still connect and join at once.
    again = await clinician.connect(sid)
    assert (await again.call("join"))["ok"]
    # Operators get one summary line for the flooding address, not one per refusal.
    lines = [r.getMessage() for r in caplog.records if FLOODER in r.getMessage()]
    assert len(lines) == 1, lines
    assert "rate_limited" in lines[0]
