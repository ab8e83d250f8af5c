"""The impaired-network test bed: an SfuService here, aiortc peers in namespaces behind it.

Each peer gets its own namespace and veth pair (a `tbf` cap per direction
via `limit`) and runs `tests.netem.peer` there with `ip netns exec`; its UDP
crosses a user-space shim (`impair`: loss, delay, jitter, reordering). The
SFU offers the veth addresses as ICE host candidates (next to 127.0.0.1),
so everything it offers on a peer's link is reachable from that namespace.
A subscriber may be headless Chromium instead (`tests.netem.browser_peer`,
same commands), to see what a browser user sees.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sfu import SfuConfig, SfuService
from tests.netem.namespace import NetNamespace
from tests.netem.shim import Impairment

REPO = Path(__file__).resolve().parents[2]


class ImpairedPeer:
    """A participant in its own namespace, driven over JSON lines; SDP relayed to the SFU."""

    def __init__(self, bed: Testbed, pid: str, ns: NetNamespace, browser: bool = False) -> None:
        self.bed = bed
        self.id = pid
        self.ns = ns
        self.module = "tests.netem.browser_peer" if browser else "tests.netem.peer"
        self.events: list[dict[str, Any]] = []
        self.mids: dict[str, str] = {}  # subscriber-side mid -> publisher id
        self.video: dict[str, list[tuple[float, int, int]]] = {}  # publisher -> (t, w, h)
        self.audio: dict[str, int] = {}
        self.shim: list[dict[str, int]] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._next_id = 0
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self._proc = await asyncio.create_subprocess_exec(
            "ip", "netns", "exec", self.ns.name,
            sys.executable, "-m", self.module,
            "--address", self.ns.peer_address, "--sfu-host", self.ns.host_address,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env, cwd=REPO,
        )  # fmt: skip
        self._tasks = [
            asyncio.create_task(self._read_replies()),
            asyncio.create_task(self._process_events()),
        ]

    async def call(self, cmd: str, **args: Any) -> Any:
        """Run one command in the peer process and return its result."""
        assert self._proc is not None and self._proc.stdin is not None
        self._next_id += 1
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[self._next_id] = future
        line = json.dumps({"id": self._next_id, "cmd": cmd, "args": args}) + "\n"
        self._proc.stdin.write(line.encode())
        await self._proc.stdin.drain()
        return await asyncio.wait_for(future, 30)

    async def _read_replies(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        while line := await self._proc.stdout.readline():
            reply = json.loads(line)
            future = self._waiting.pop(reply["id"], None)
            if future is None or future.done():
                continue
            if "error" in reply:
                future.set_exception(RuntimeError(f"peer {self.id}: {reply['error']}"))
            else:
                future.set_result(reply["result"])
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(RuntimeError(f"peer {self.id} exited"))

    async def send(self, message: dict[str, Any]) -> dict[str, Any]:
        """Send one message to the SFU as this participant."""
        return await self.bed.sfu.handle(self.bed.room, self.id, message)

    async def join(self) -> None:
        await self.send({"type": "join"})

    async def publish(self, layers: list[tuple[int, int, int]], audio: bool = True) -> None:
        """Publish audio and video in `layers` (width, height, bit/s; low to high)."""
        offer = await self.call("publish", layers=[list(layer) for layer in layers], audio=audio)
        reply = await self.send({"type": "publish", "sdp": offer["sdp"]})
        await self.call("publish_answer", sdp=reply["sdp"])

    def emitted(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._queue.put_nowait(event)

    def events_of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == kind]

    async def _process_events(self) -> None:
        while True:
            event = await self._queue.get()
            if event["type"] != "offer":
                continue
            for track in event["tracks"]:
                self.mids[track["mid"]] = track["participant"]
            answer = await self.call("sub_offer", sdp=event["sdp"], new_pc=event["new_pc"])
            await self.send({"type": "answer", "sdp": answer["sdp"]})

    async def collect(self) -> None:
        """Fetch the frames decoded since the last collect."""
        stats = await self.call("stats")
        for mid, frames in stats["video"].items():
            publisher = self.mids.get(mid, "?")
            self.video.setdefault(publisher, []).extend(tuple(f) for f in frames)
        for mid, count in stats["audio"].items():
            publisher = self.mids.get(mid, "?")
            self.audio[publisher] = self.audio.get(publisher, 0) + count
        self.shim = stats["shim"]

    def sizes_from(self, publisher: str, since: float = 0.0) -> list[tuple[int, int]]:
        """Decoded frame sizes from `publisher` (monotonic time >= since), in order."""
        return [(w, h) for t, w, h in self.video.get(publisher, []) if t >= since]

    def impair(self, *, up: Impairment | None = None, down: Impairment | None = None) -> Any:
        """Set the shim's impairment for each direction (None: a clean direction)."""
        return self.call("impair", up=asdict(up or Impairment()), down=asdict(down or Impairment()))

    def limit(self, *, down_kbps: int | None = None, up_kbps: int | None = None) -> None:
        """Cap this peer's link with `tbf` (down: SFU to peer)."""
        self.ns.limit(down_kbps=down_kbps, up_kbps=up_kbps)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        try:
            assert proc.stdin is not None
            proc.stdin.write(b'{"id": 0, "cmd": "close"}\n')
            proc.stdin.close()
            await asyncio.wait_for(proc.wait(), 10)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            proc.kill()
            await proc.wait()


class Testbed:
    """An SfuService with one room, and `peers` namespaces ready for impaired peers."""

    def __init__(self, tmp_path: Path, peers: int, **settings: Any) -> None:
        self.room = "room-1"
        run_id = secrets.token_hex(3)
        self.namespaces: list[NetNamespace] = []
        try:
            for index in range(peers):
                self.namespaces.append(NetNamespace.create(index, run_id))
        except Exception:
            self.remove_namespaces()
            raise
        self.peers: dict[str, ImpairedPeer] = {}
        settings.setdefault("keyframe_window_s", 0.1)
        hosts = ("127.0.0.1", *(ns.host_address for ns in self.namespaces))
        self.config = SfuConfig(
            recordings_dir=tmp_path / "recordings", ice_host_addresses=hosts, **settings
        )
        self.sfu = SfuService(self.config, self._emit)

    async def _emit(self, room_id: str, pid: str, event: dict[str, Any]) -> None:
        peer = self.peers.get(pid)
        if peer is not None:
            peer.emitted(event)

    async def peer(self, pid: str, browser: bool = False) -> ImpairedPeer:
        """Start a participant process in the next free namespace and join it.

        `browser`: a headless Chromium subscriber (tests.netem.browser_peer) instead of
        aiortc, to see what a browser user sees; it cannot publish.
        """
        ns = self.namespaces[len(self.peers)]
        peer = self.peers[pid] = ImpairedPeer(self, pid, ns, browser)
        await peer.start()
        await peer.join()
        return peer

    def remove_namespaces(self) -> None:
        for ns in self.namespaces:
            ns.remove()

    async def close(self) -> None:
        try:
            for peer in self.peers.values():
                await peer.close()
            await self.sfu.close()
        finally:
            self.remove_namespaces()


async def until(check: Callable[[], Awaitable[bool]], what: str, limit_s: float = 40.0) -> None:
    """Poll an async check until it holds; fail after a generous timeout (not a timed assertion)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not await check():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.25)
