"""A raw Engine.IO/Socket.IO websocket client: sends exactly the frames a test writes.

The python-socketio client never sends a malformed or reserved frame; an attacker
or a broken client does. This speaks the text protocol (EIO=4) by hand.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import websockets


@dataclass
class RawSocket:
    """One websocket speaking Engine.IO v4 text frames."""

    ws: Any

    @classmethod
    async def open(cls, url: str, auth: dict[str, Any] | None = None) -> RawSocket:
        """Open the transport and, when ``auth`` is given, connect the default namespace."""
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        ws = await websockets.connect(ws_url, max_size=2**22)
        raw = cls(ws)
        opened = await raw.recv()
        assert opened.startswith("0{"), opened
        if auth is not None:
            await raw.send("40" + json.dumps(auth))
            answer = await raw.recv()
            assert answer.startswith("40{"), answer
        return raw

    async def send(self, frame: str) -> None:
        """Send one frame as written."""
        await self.ws.send(frame)

    async def recv(self, timeout: float = 10) -> str:
        """The next frame that is not a ping (pings are answered)."""
        async with asyncio.timeout(timeout):
            while True:
                frame = str(await self.ws.recv())
                if frame == "2":
                    await self.ws.send("3")
                    continue
                return frame

    async def ack(self, ack_id: int, timeout: float = 10) -> Any:
        """Wait for the ack of event ``ack_id`` and return its first argument."""
        prefix = f"43{ack_id}"
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if frame.startswith(prefix + "["):
                    return json.loads(frame[len(prefix) :])[0]

    async def close(self) -> None:
        """Close the websocket."""
        await self.ws.close()
