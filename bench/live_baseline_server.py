"""Bare python-socketio broadcast: the baseline our slide event is compared with.

Receivers send ``join`` and enter one room; the leader's ``slide.show`` is
broadcast to it as an ``event`` shaped like ours, with no validation and no log.
"""

from __future__ import annotations

import sys
import time

import socketio
from aiohttp import web

sio = socketio.AsyncServer(async_mode="aiohttp")
app = web.Application()
sio.attach(app)


@sio.on("join")
async def join(sid: str, data: object) -> dict[str, object]:
    await sio.enter_room(sid, "room")
    return {"ok": True, "status": "admitted", "you": {"id": sid}}


@sio.on("slide.show")
async def slide(sid: str, data: dict[str, int]) -> dict[str, object]:
    event = {
        "seq": 0,
        "at": time.time_ns() // 1000,
        "actor": sid,
        "kind": "slide.shown",
        "data": {"index": data["index"], "slide_id": "x"},
    }
    await sio.emit("event", event, room="room")
    return {"ok": True}


if __name__ == "__main__":
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
