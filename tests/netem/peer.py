"""An aiortc participant run inside a network namespace (`python -m tests.netem.peer`).

It talks JSON lines on stdin/stdout with the test (which relays SDP to and
from the SFU), sends all its UDP through a `UdpShim` flow, publishes audio
and one video or three simulcast layers (one VP8 encoder per layer, an
`a=ssrc-group:SIM` in the offer), and records every frame it decodes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import json
import logging
import random
import re
import sys
import time
from typing import Any, Protocol

import aioice.ice
import av
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.codecs import vpx
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcrtpparameters import RTCRtcpParameters, RTCRtpSendParameters

from tests.netem.shim import Flow, Impairment, UdpShim
from tests.sfu.conftest import PacedVideoTrack, ToneTrack

logger = logging.getLogger("netem.peer")

# Which bitrate the next VP8 encoder created in this context must keep (CBR, REMB ignored):
# each simulcast layer has its own, as a browser's encoder would.
LAYER_BPS: contextvars.ContextVar[int | None] = contextvars.ContextVar("layer_bps", default=None)


class LayerEncoder(vpx.Vp8Encoder):
    """aiortc's VP8 encoder held at one layer's bitrate."""

    def __init__(self, bps: int) -> None:
        super().__init__()
        self._layer_bps = bps
        self._Vp8Encoder__target_bitrate = bps

    @property  # type: ignore[override]
    def target_bitrate(self) -> int:
        return self._layer_bps

    @target_bitrate.setter
    def target_bitrate(self, bitrate: int) -> None:
        del bitrate  # the layer's own rate holds, as in a browser's simulcast


def _get_encoder(codec: Any) -> Any:
    bps = LAYER_BPS.get()
    if bps is not None and codec.mimeType.lower() == "video/vp8":
        return LayerEncoder(bps)
    from aiortc.codecs import get_encoder

    encoder = get_encoder(codec)
    if codec.mimeType.lower() == "audio/opus":
        # aiortc encodes voice at 96 kbit/s; browsers at about 32 (their default for speech).
        encoder.codec.bit_rate = 32_000
        encoder.codec.options = {"application": "voip", "vbr": "off"}
    return encoder


class PatternTrack(PacedVideoTrack):
    """A `width`x`height` video with a moving band of noise (so the encoder spends its bitrate)."""

    def __init__(self, width: int, height: int, seed: int) -> None:
        super().__init__()
        self.width, self.height = width, height
        self._rng = random.Random(seed)

    async def recv(self) -> av.VideoFrame:
        frame = await self.blank_frame(self.width, self.height)
        n = self._n - 1  # this frame's number
        luma = frame.planes[0]
        # A flat picture with a band of noise one eighth tall moving down: enough
        # detail for the encoder to spend its bitrate, little enough to hold it.
        band = luma.line_size * (self.height // 8)
        at = (n * luma.line_size * 2) % (luma.buffer_size - band)
        at -= at % luma.line_size
        flat = bytes([81]) * luma.buffer_size
        luma.update(flat[:at] + self._rng.randbytes(band) + flat[at + band :])
        frame.planes[1].update(bytes([90]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([240]) * frame.planes[2].buffer_size)
        return frame


CANDIDATE = re.compile(r"^a=candidate:(\S+) (\d) (\S+) (\d+) (\S+) (\d+) typ (\S+).*$", re.M)


def only_candidate(sdp: str, address: tuple[str, int]) -> str:
    """`sdp` with every candidate replaced by one host candidate at `address`."""
    line = f"a=candidate:1 1 udp 2130706431 {address[0]} {address[1]} typ host"
    out, seen = [], set()
    for raw in sdp.splitlines():
        if raw.startswith("m="):
            seen = set()
        if raw.startswith("a=candidate:"):
            if "section" not in seen:
                seen.add("section")
                out.append(line)
            continue
        out.append(raw)
    return "\r\n".join(out) + "\r\n"


def candidate_at(sdp: str, host: str) -> tuple[str, int]:
    """The first UDP candidate in `sdp` on `host`."""
    for match in CANDIDATE.finditer(sdp):
        if match.group(3).lower() == "udp" and match.group(5) == host:
            return host, int(match.group(6))
    raise ValueError(f"no candidate on {host}")


def add_simulcast_group(sdp: str, ssrcs: list[int], cname: str) -> str:
    """Declare `ssrcs` (low to high; the last is the m-line's own) as one SIM group on video."""
    lines = sdp.split("\r\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("m=video"))
    end = next((i for i in range(at + 1, len(lines)) if lines[i].startswith("m=")), len(lines))
    extra = [f"a=ssrc-group:SIM {' '.join(map(str, ssrcs))}"]
    extra += [f"a=ssrc:{ssrc} cname:{cname}" for ssrc in ssrcs[:-1]]
    while end > at and lines[end - 1] == "":
        end -= 1
    return "\r\n".join([*lines[:end], *extra, *lines[end:]])


class NetPeer:
    """The participant's state inside the namespace."""

    def __init__(self, address: str, sfu_host: str) -> None:
        self.address = address
        self.sfu_host = sfu_host
        self.shim = UdpShim(address)
        self.flows: dict[int, Flow] = {}
        self.pub: RTCPeerConnection | None = None
        self.sub: RTCPeerConnection | None = None
        self.layer_senders: list[tuple[RTCRtpSender, int]] = []
        self.video: dict[str, list[tuple[float, int, int]]] = {}
        self.audio: dict[str, int] = {}
        self.tasks: list[asyncio.Task[None]] = []

    def new_pc(self) -> RTCPeerConnection:
        return RTCPeerConnection(
            RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
        )

    async def publish(self, layers: list[list[int]], audio: bool) -> dict[str, Any]:
        """Offer audio and video in `layers` ([width, height, bps], low to high)."""
        pc = self.pub = self.new_pc()
        if audio:
            pc.addTransceiver(ToneTrack(True), direction="sendonly")
        width, height, _ = layers[-1]
        video = pc.addTransceiver(PatternTrack(width, height, 0), direction="sendonly")
        codecs = RTCRtpSender.getCapabilities("video").codecs
        video.setCodecPreferences([c for c in codecs if c.mimeType in ("video/VP8", "video/rtx")])
        dtls = video.sender.transport
        self.layer_senders = [
            (RTCRtpSender(PatternTrack(w, h, i + 1), dtls), bps)
            for i, (w, h, bps) in enumerate(layers[:-1])
        ]
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
        flow = await self.shim.open_flow(peer=candidate_at(sdp, self.address))
        self.flows[id(pc)] = flow
        if self.layer_senders:
            cname = re.search(r"a=ssrc:\d+ cname:(\S+)", sdp)
            assert cname is not None
            ssrcs = [s._ssrc for s, _ in self.layer_senders] + [video.sender._ssrc]
            sdp = add_simulcast_group(sdp, ssrcs, cname.group(1))
        self._top_bps = layers[-1][2]
        return {"sdp": only_candidate(sdp, flow.outer_address)}

    async def publish_answer(self, sdp: str) -> dict[str, Any]:
        assert self.pub is not None
        pc = self.pub
        flow = self.flows[id(pc)]
        flow.sfu = candidate_at(sdp, self.sfu_host)
        token = LAYER_BPS.set(self._top_bps if self.layer_senders else None)
        try:
            await pc.setRemoteDescription(
                RTCSessionDescription(only_candidate(sdp, flow.inner_address), "answer")
            )
        finally:
            LAYER_BPS.reset(token)
        if self.layer_senders:
            self.tasks.append(asyncio.create_task(self._start_layers(pc)))
        return {}

    async def _start_layers(self, pc: RTCPeerConnection) -> None:
        while pc.connectionState != "connected":
            await asyncio.sleep(0.05)
        video = next(t for t in pc.getTransceivers() if t.kind == "video")
        codec = video._codecs[0]
        cname = pc._RTCPeerConnection__cname  # type: ignore[attr-defined]
        for sender, bps in self.layer_senders:
            token = LAYER_BPS.set(bps)
            try:
                await sender.send(
                    RTCRtpSendParameters(
                        codecs=[codec],
                        headerExtensions=video._headerExtensions,
                        muxId=video.mid,
                        rtcp=RTCRtcpParameters(cname=cname, mux=True, ssrc=sender._ssrc),
                    )
                )
            finally:
                LAYER_BPS.reset(token)

    async def sub_offer(self, sdp: str, new_pc: bool) -> dict[str, Any]:
        """Answer the SFU's subscribing offer."""
        if new_pc or self.sub is None:
            if self.sub is not None:
                await self.sub.close()
            self.sub = self.new_pc()
            self.sub.on("track", self._on_track)
            self.flows[id(self.sub)] = await self.shim.open_flow()
        pc = self.sub
        flow = self.flows[id(pc)]
        flow.sfu = candidate_at(sdp, self.sfu_host)
        offer = RTCSessionDescription(only_candidate(sdp, flow.inner_address), "offer")
        await pc.setRemoteDescription(offer)
        await pc.setLocalDescription(await pc.createAnswer())
        local = pc.localDescription.sdp
        flow.peer = candidate_at(local, self.address)
        return {"sdp": only_candidate(local, flow.outer_address)}

    def _on_track(self, track: MediaStreamTrack) -> None:
        assert self.sub is not None
        mid = next(t.mid for t in self.sub.getTransceivers() if t.receiver.track is track) or "?"
        self.tasks.append(asyncio.create_task(self._consume(track, mid)))

    async def _consume(self, track: MediaStreamTrack, mid: str) -> None:
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if isinstance(frame, av.VideoFrame):
                self.video.setdefault(mid, []).append((time.monotonic(), frame.width, frame.height))
            else:
                self.audio[mid] = self.audio.get(mid, 0) + 1

    def stats(self) -> dict[str, Any]:
        """Frames decoded since the last call (drained), and shim counters."""
        video, self.video = self.video, {}
        audio, self.audio = self.audio, {}
        return {
            "now": time.monotonic(),
            "video": video,
            "audio": audio,
            "shim": [vars(f.counters) for f in self.flows.values()],
        }

    def impair(self, up: dict[str, float], down: dict[str, float]) -> dict[str, Any]:
        self.shim.up = Impairment(**up)
        self.shim.down = Impairment(**down)
        return {}

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        for sender, _ in self.layer_senders:
            await sender.stop()
        for pc in (self.pub, self.sub):
            if pc is not None:
                await pc.close()
        self.shim.close()


class Served(Protocol):
    """A peer `serve` drives: its commands are its methods (this one or browser_peer's)."""

    async def close(self) -> None: ...


async def serve(peer: Served) -> None:
    """Answer JSON-line commands from stdin until `close` or end of input."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)

    def reply(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    while line := await reader.readline():
        request = json.loads(line)
        cmd, args = request.pop("cmd"), request.pop("args", {})
        rid = request.get("id")
        try:
            if cmd == "close":
                await peer.close()
                reply({"id": rid, "result": {}})
                return
            handler = getattr(peer, cmd)
            result = handler(**args)
            if asyncio.iscoroutine(result):
                result = await result
            reply({"id": rid, "result": result})
        except Exception as exc:
            logger.exception("command %s failed", cmd)
            reply({"id": rid, "error": repr(exc)})
    await peer.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--address", required=True, help="this namespace's address")
    parser.add_argument("--sfu-host", required=True, help="the SFU's address on our link")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [args.address]
    import aiortc.rtcrtpsender

    aiortc.rtcrtpsender.get_encoder = _get_encoder  # type: ignore[attr-defined]
    vpx.MIN_BITRATE = 30_000
    asyncio.run(serve(NetPeer(args.address, args.sfu_host)))


if __name__ == "__main__":
    main()
