"""The SFU under test, alone in its own process, driven by JSON lines over TCP.

  python bench/sfu_server.py --mode sfu|mediarelay --port 8765

Each request line is {"id", "room", "pid", "msg"}; the reply line is
{"id", "reply"} or {"id", "error"}; events the SFU emits arrive as
{"event", "room", "pid"}. `mediarelay` is the baseline: aiortc's stock
MediaRelay (decode once, re-encode per subscriber) behind the same
messages; it offers each subscriber the videos published before it joined.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiortc import (
    MediaStreamTrack,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay

from sfu import SfuConfig, SfuError, SfuService
from sfu.participant import new_peer_connection

Emit = Any


class RelayService:
    """Baseline: aiortc MediaRelay behind the SFU's join/publish/answer messages."""

    def __init__(self, config: SfuConfig, emit: Emit) -> None:
        self._config = config
        self._emit = emit
        self._relay = MediaRelay()
        self._videos: dict[str, MediaStreamTrack] = {}
        self._pcs: list[RTCPeerConnection] = []
        self._subs: dict[str, RTCPeerConnection] = {}

    async def handle(self, room: str, pid: str, msg: dict[str, Any]) -> dict[str, Any]:
        if msg["type"] == "join":
            if self._videos:
                await self._offer(room, pid)
            return {"type": "joined"}
        if msg["type"] == "publish":
            pc = new_peer_connection(self._config)
            self._pcs.append(pc)

            @pc.on("track")
            def on_track(track: MediaStreamTrack) -> None:
                if track.kind == "video":
                    self._videos[pid] = track

            await pc.setRemoteDescription(RTCSessionDescription(msg["sdp"], "offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            return {"type": "answer", "sdp": pc.localDescription.sdp}
        if msg["type"] == "answer":
            await self._subs[pid].setRemoteDescription(RTCSessionDescription(msg["sdp"], "answer"))
            return {"type": "ok"}
        raise SfuError(f"baseline does not handle {msg['type']}")

    async def _offer(self, room: str, pid: str) -> None:
        pc = new_peer_connection(self._config)
        self._pcs.append(pc)
        self._subs[pid] = pc
        tracks = []
        vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
        for publisher, track in self._videos.items():
            transceiver = pc.addTransceiver(self._relay.subscribe(track), direction="sendonly")
            transceiver.setCodecPreferences(vp8)
            tracks.append((publisher, transceiver))
        await pc.setLocalDescription(await pc.createOffer())
        described = [{"participant": p, "kind": "video", "mid": t.mid} for p, t in tracks]
        event = {"type": "offer", "pc": "sub", "sdp": pc.localDescription.sdp, "tracks": described}
        asyncio.get_running_loop().call_soon(
            lambda: asyncio.ensure_future(self._emit(room, pid, event))
        )

    async def close(self) -> None:
        for pc in self._pcs:
            await pc.close()

    def stats(self) -> dict[str, Any]:
        return {"peer_connections": len(self._pcs)}


async def serve(mode: str, port: int) -> None:
    writers: list[asyncio.StreamWriter] = []

    async def emit(room: str, pid: str, event: dict[str, Any]) -> None:
        line = json.dumps({"event": event, "room": room, "pid": pid}).encode() + b"\n"
        for writer in writers:
            writer.write(line)

    config = SfuConfig(recordings_dir=Path("/tmp/imr-sfu-bench-recordings"))
    service: Any = SfuService(config, emit) if mode == "sfu" else RelayService(config, emit)
    tasks: set[asyncio.Task[None]] = set()

    async def answer(writer: asyncio.StreamWriter, request: dict[str, Any]) -> None:
        try:
            reply = await service.handle(request["room"], request["pid"], request["msg"])
            out = {"id": request["id"], "reply": reply}
        except SfuError as exc:
            out = {"id": request["id"], "error": f"{exc.code}: {exc.message}"}
        writer.write(json.dumps(out).encode() + b"\n")

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        while line := await reader.readline():
            request = json.loads(line)
            if request.get("stats"):
                writer.write(json.dumps({"id": request["id"], "reply": service.stats()}).encode())
                writer.write(b"\n")
                continue
            task = asyncio.create_task(answer(writer, request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        writers.remove(writer)
        writer.close()
        done.set()

    done = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, done.set)
    server = await asyncio.start_server(client, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await done.wait()
    await service.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["sfu", "mediarelay"], default="sfu")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    profile = os.environ.get("SFU_BENCH_PROFILE")
    if profile:
        # Where the SFU's CPU goes: SFU_BENCH_PROFILE=/tmp/sfu.prof, then pstats.
        cProfile.runctx("asyncio.run(serve(args.mode, args.port))", globals(), locals(), profile)
    else:
        asyncio.run(serve(args.mode, args.port))


if __name__ == "__main__":
    main()
