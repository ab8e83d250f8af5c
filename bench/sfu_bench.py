"""SFU benchmark: CPU of the SFU process alone per forwarded RTP packet.

  .venv/bin/python bench/sfu_bench.py            # everything, ~4 minutes
  .venv/bin/python bench/sfu_bench.py --quick    # K=1,4 and N=4, shorter windows

(a) one publisher (pre-encoded VP8 640x480 30 fps ~1 Mbit/s) and K
subscribers; (b) a group of N participants all publishing VP8 + Opus and
subscribing to everyone else. The SFU runs in its own process
(bench/sfu_server.py); this process is the load generator: publishers only
packetize pre-encoded frames, receivers count RTP without decoding, and one
sampled subscriber decodes video with libvpx (decoded fps, first frame).
aiortc's MediaRelay runs behind the same messages as the baseline for (a).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aioice.ice
import aiortc.rtcrtpreceiver as rtcrtpreceiver
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
    sdp,
)
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import RTCDtlsTransport
from sfu_media import (
    PreEncodedAudio,
    PreEncodedVideo,
    cpu_seconds,
    machine_busy,
    opus_clip,
    vp8_clip,
)

ROOT = Path(__file__).resolve().parents[1]
PORT = 8765

# --- load-generator side hooks (this process only; the SFU process is untouched) ---

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]
RX: dict[RTCRtpReceiver, list[int]] = {}  # video receiver -> [packets, frames]
AUDIO_RX: dict[RTCRtpReceiver, list[int]] = {}  # audio receiver -> [packets, 0]
DECODING: set[RTCRtpReceiver] = set()
# Legs nobody decodes are only counted: their datagrams stop after SRTP, by SSRC.
COUNT_ONLY: dict[int, list[int]] = {}
_original_rtp_data = RTCDtlsTransport._handle_rtp_data
_real_get_decoder = rtcrtpreceiver.get_decoder
_original_handle = RTCRtpReceiver._handle_rtp_packet
_original_receive = RTCRtpReceiver.receive


class NullDecoder:
    """Receivers that are not sampled skip decoding: the harness must stay cheap."""

    def decode(self, frame: Any) -> list[Any]:
        return []


def _get_decoder(codec: Any) -> Any:
    if threading.current_thread().name == "sampled-decoder":
        return _real_get_decoder(codec)
    return NullDecoder()


async def _counting_handle(self: RTCRtpReceiver, packet: Any, arrival_time_ms: int) -> None:
    counts = RX.get(self) or AUDIO_RX.get(self)
    if counts is not None:
        counts[0] += 1
        counts[1] += packet.marker
    await _original_handle(self, packet, arrival_time_ms)


async def _counting_rtp_data(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    counts = COUNT_ONLY.get(int.from_bytes(data[8:12], "big"))
    if counts is None:
        await _original_rtp_data(self, data, arrival_time_ms)
        return
    counts[0] += 1
    counts[1] += data[1] >> 7


async def _receive(self: RTCRtpReceiver, parameters: Any) -> None:
    await _original_receive(self, parameters)
    if self in DECODING:
        self._RTCRtpReceiver__decoder_thread.name = "sampled-decoder"  # type: ignore[attr-defined]


rtcrtpreceiver.get_decoder = _get_decoder
RTCRtpReceiver._handle_rtp_packet = _counting_handle  # type: ignore[method-assign]
RTCRtpReceiver.receive = _receive  # type: ignore[method-assign]
RTCDtlsTransport._handle_rtp_data = _counting_rtp_data  # type: ignore[method-assign]


def _on_keyframe_request(sender: RTCRtpSender, track: PreEncodedVideo) -> None:
    original = sender._handle_rtcp_packet

    async def handle(packet: Any) -> None:
        if getattr(packet, "fmt", None) in (1, 4) and type(packet).__name__ == "RtcpPsfbPacket":
            track.request_keyframe()
        await original(packet)

    sender._handle_rtcp_packet = handle  # type: ignore[method-assign]


def client_pc() -> RTCPeerConnection:
    return RTCPeerConnection(
        RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE)
    )


# --- signalling to the SFU process ---


class Signalling:
    """JSON lines to bench/sfu_server.py; events are routed to the peer they address."""

    def __init__(self) -> None:
        self.peers: dict[str, BenchPeer] = {}
        self._ids = itertools.count()
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        self._reader, self._writer = await asyncio.open_connection("127.0.0.1", PORT)
        self._task = asyncio.create_task(self._read())

    async def request(self, pid: str, msg: dict[str, Any], stats: bool = False) -> Any:
        assert self._writer is not None
        rid = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[rid] = future
        line = {"id": rid, "room": "bench", "pid": pid, "msg": msg, "stats": stats}
        self._writer.write(json.dumps(line).encode() + b"\n")
        return await asyncio.wait_for(future, 30)

    async def _read(self) -> None:
        assert self._reader is not None
        while line := await self._reader.readline():
            data = json.loads(line)
            if "event" in data:
                peer = self.peers.get(data["pid"])
                if peer is not None:
                    peer.on_event(data["event"])
            elif "error" in data:
                self._pending.pop(data["id"]).set_exception(RuntimeError(data["error"]))
            else:
                self._pending.pop(data["id"]).set_result(data["reply"])

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


@dataclass
class BenchPeer:
    """One participant in the load generator."""

    pid: str
    signalling: Signalling
    decode: bool = False
    decode_max: int | None = None
    """With `decode`: decode at most this many videos (None: every one)."""
    pcs: list[RTCPeerConnection] = field(default_factory=list)
    joined_at: float = 0.0
    first_frame: float | None = None
    decoded: dict[str, int] = field(default_factory=dict)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    sub_pc: RTCPeerConnection | None = None
    video: PreEncodedVideo | None = None
    leg_ssrcs: dict[RTCRtpReceiver, int] = field(default_factory=dict)

    async def join(self) -> None:
        self.signalling.peers[self.pid] = self
        self.joined_at = time.monotonic()
        await self.signalling.request(self.pid, {"type": "join"})

    async def publish(self, frames: Any, opus: list[bytes] | None, start: int) -> None:
        pc = client_pc()
        self.pcs.append(pc)
        if opus is not None:
            pc.addTransceiver(PreEncodedAudio(opus), direction="sendonly")
        self.video = PreEncodedVideo(frames, start)
        transceiver = pc.addTransceiver(self.video, direction="sendonly")
        vp8 = [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == "video/VP8"]
        transceiver.setCodecPreferences(vp8)
        _on_keyframe_request(transceiver.sender, self.video)
        await pc.setLocalDescription(await pc.createOffer())
        reply = await self.signalling.request(
            self.pid, {"type": "publish", "sdp": pc.localDescription.sdp}
        )
        await pc.setRemoteDescription(RTCSessionDescription(reply["sdp"], "answer"))

    def on_event(self, event: dict[str, Any]) -> None:
        if event["type"] == "offer":
            self.tasks.append(asyncio.create_task(self._answer(event)))

    async def _answer(self, event: dict[str, Any]) -> None:
        if self.sub_pc is None:
            self.sub_pc = client_pc()
            self.pcs.append(self.sub_pc)
        pc = self.sub_pc
        owners = {t["mid"]: t["participant"] for t in event["tracks"]}
        ssrcs = {
            m.rtp.muxId: m.ssrc[0].ssrc for m in sdp.SessionDescription.parse(event["sdp"]).media
        }
        await pc.setRemoteDescription(RTCSessionDescription(event["sdp"], "offer"))
        for transceiver in pc.getTransceivers():
            receiver = transceiver.receiver
            if transceiver.kind == "audio":
                counts = AUDIO_RX.setdefault(receiver, [0, 0])
            else:
                new = receiver not in RX
                counts = RX.setdefault(receiver, [0, 0])
                if new and self.decode and len(self.decoded) != self.decode_max:
                    owner = owners.get(transceiver.mid or "", "?")
                    self.decoded[owner] = 0
                    DECODING.add(receiver)
                    self.tasks.append(asyncio.create_task(self._consume(receiver.track, owner)))
            if transceiver.mid in ssrcs:
                self.leg_ssrcs[receiver] = ssrcs[transceiver.mid]
                if receiver not in DECODING:
                    COUNT_ONLY[ssrcs[transceiver.mid]] = counts
        await pc.setLocalDescription(await pc.createAnswer())
        await self.signalling.request(self.pid, {"type": "answer", "sdp": pc.localDescription.sdp})

    async def _consume(self, track: Any, owner: str) -> None:
        while True:
            try:
                await track.recv()
            except MediaStreamError:
                return
            if self.first_frame is None:
                self.first_frame = time.monotonic() - self.joined_at
            self.decoded[owner] += 1

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for pc in self.pcs:
            await pc.close()


# --- one measured point ---


async def wait_for(check: Any, limit_s: float, what: str) -> None:
    deadline = time.monotonic() + limit_s
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.05)


async def run_point(
    mode: str, server_pid: int, publishers: int, listeners: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Publishers publish (and subscribe), listeners only subscribe; one peer decodes."""
    RX.clear()
    AUDIO_RX.clear()
    COUNT_ONLY.clear()
    DECODING.clear()
    frames = vp8_clip()
    opus = opus_clip() if listeners == 0 else None
    signalling = Signalling()
    await signalling.connect()
    peers: list[BenchPeer] = []
    try:
        for i in range(publishers):
            peer = BenchPeer(f"p{i}", signalling, decode=(listeners == 0 and i == publishers - 1))
            peers.append(peer)
            await peer.join()
            await peer.publish(frames, opus, start=i * 7)
        for i in range(listeners):
            peer = BenchPeer(f"s{i}", signalling, decode=(i == 0))
            peers.append(peer)
            await peer.join()
        legs = publishers * listeners or publishers * (publishers - 1)
        await wait_for(lambda: len(RX) == legs and all(c[1] > 0 for c in RX.values()), 60, "media")
        await asyncio.sleep(args.warmup)
        sample = next(p for p in peers if p.decode)
        before = _snapshot(server_pid, sample)
        await asyncio.sleep(args.measure)
        after = _snapshot(server_pid, sample)
    finally:
        for peer in peers:
            await peer.close()
        await signalling.close()
    return _result(mode, publishers, listeners, before, after, sample)


def _snapshot(server_pid: int, sample: BenchPeer) -> dict[str, Any]:
    return {
        "t": time.monotonic(),
        "cpu": cpu_seconds(server_pid),
        "self": cpu_seconds(os.getpid()),
        "machine": machine_busy(),
        "rx": [list(c) for c in RX.values()],
        "audio": sum(c[0] for c in AUDIO_RX.values()),
        "decoded": dict(sample.decoded),
    }


def _result(
    mode: str, publishers: int, listeners: int, a: dict[str, Any], b: dict[str, Any], s: BenchPeer
) -> dict[str, Any]:
    dt = b["t"] - a["t"]
    pkts = sum(y[0] - x[0] for x, y in zip(a["rx"], b["rx"], strict=True))
    pkts += b["audio"] - a["audio"]
    fps = [(y[1] - x[1]) / dt for x, y in zip(a["rx"], b["rx"], strict=True)]
    decoded = [(b["decoded"][k] - a["decoded"].get(k, 0)) / dt for k in b["decoded"]]
    cpu = b["cpu"] - a["cpu"]
    busy = (b["machine"][0] - a["machine"][0]) / max(b["machine"][1] - a["machine"][1], 1e-9)
    return {
        "mode": mode,
        "publishers": publishers,
        "listeners": listeners,
        "cpu_s": cpu,
        "cpu_frac": cpu / dt,
        "pkts": pkts,
        "pps": pkts / dt,
        "us_per_pkt": cpu / pkts * 1e6 if pkts else float("nan"),
        "rtp_fps_min": min(fps),
        "decoded_fps_min": min(decoded) if decoded else 0.0,
        "first_frame_s": s.first_frame,
        "loadgen_frac": (b["self"] - a["self"]) / dt,
        "machine_busy": busy,
    }


async def measure(
    mode: str, publishers: int, listeners: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Start a fresh SFU process, run one point, stop the process."""
    server = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "bench" / "sfu_server.py"),
            "--mode",
            mode,
            "--port",
            str(PORT),
        ],
        stdout=subprocess.PIPE,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(server.stdout.readline), 30)
        assert line.strip() == b"ready", line
        return await asyncio.wait_for(
            run_point(mode, server.pid, publishers, listeners, args),
            args.warmup + args.measure + 120,
        )
    finally:
        server.terminate()
        try:
            await asyncio.to_thread(server.wait, 15)
        except subprocess.TimeoutExpired:
            server.kill()
            await asyncio.to_thread(server.wait)
        if server.stdout is not None:
            server.stdout.close()


# --- report ---


def table(title: str, rows: list[dict[str, Any]], size_key: str) -> str:
    out = [
        f"\n### {title}\n",
        f"| target | {size_key} | CPU frac | fwd pkts/s | µs/pkt avg | µs/pkt marginal "
        "| sub fps min (RTP) | decoded fps min (sample) | first frame s | loadgen CPU | machine busy |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    previous: dict[str, dict[str, Any]] = {}
    for r in rows:
        size = r["listeners"] or r["publishers"]
        prev = previous.get(r["mode"])
        marginal = "-"
        if prev is not None and r["pkts"] > prev["pkts"]:
            marginal = f"{(r['cpu_s'] - prev['cpu_s']) / (r['pkts'] - prev['pkts']) * 1e6:.1f}"
        previous[r["mode"]] = r
        first = f"{r['first_frame_s']:.2f}" if r["first_frame_s"] is not None else "-"
        out.append(
            f"| {r['mode']} | {size} | {r['cpu_frac']:.3f} | {r['pps']:.0f} | "
            f"{r['us_per_pkt']:.1f} | {marginal} | {r['rtp_fps_min']:.1f} | "
            f"{r['decoded_fps_min']:.1f} | {first} | {r['loadgen_frac']:.2f} | "
            f"{r['machine_busy']:.2f} |"
        )
    return "\n".join(out)


def slope(rows: list[dict[str, Any]]) -> float | None:
    """Whole-range marginal µs per packet (least noisy)."""
    if len(rows) < 2 or rows[-1]["pkts"] <= rows[0]["pkts"]:
        return None
    a, b = rows[0], rows[-1]
    return (b["cpu_frac"] - a["cpu_frac"]) / (b["pps"] - a["pps"]) * 1e6


async def main_async(args: argparse.Namespace) -> None:
    vp8_clip()  # encode the clip once, before anything is measured
    fanout: list[dict[str, Any]] = []
    for mode in ("sfu", "mediarelay"):
        for k in args.k:
            row = await measure(mode, 1, k, args)
            fanout.append(row)
            print(json.dumps(row), file=sys.stderr, flush=True)
            if row["cpu_frac"] > 0.9 or row["rtp_fps_min"] < 25:
                print(f"{mode} saturated at K={k}", file=sys.stderr)
                break
    group: list[dict[str, Any]] = []
    for n in args.n:
        row = await measure("sfu", n, 0, args)
        group.append(row)
        print(json.dumps(row), file=sys.stderr, flush=True)

    print(f"# SFU benchmark ({time.strftime('%Y-%m-%d %H:%M:%S %Z')})")
    print(f"command: `{' '.join(sys.argv)}`; warmup {args.warmup} s, measure {args.measure} s")
    print(table("(a) one publisher, K subscribers (video only)", fanout, "K"))
    print(table("(b) group of N, everyone publishes VP8 + Opus and subscribes", group, "N"))
    sfu_rows = [r for r in fanout if r["mode"] == "sfu"]
    relay_rows = [r for r in fanout if r["mode"] == "mediarelay"]
    print("\n### Summary\n")
    for name, rows in (("sfu", sfu_rows), ("mediarelay", relay_rows), ("sfu group", group)):
        s = slope(rows)
        if s is not None:
            print(f"- {name}: whole-range marginal {s:.1f} µs CPU per forwarded packet")
    for r in sfu_rows:
        match = next((x for x in relay_rows if x["listeners"] == r["listeners"]), None)
        if match:
            print(
                f"- K={r['listeners']}: MediaRelay / SFU CPU = "
                f"{match['cpu_frac'] / max(r['cpu_frac'], 1e-9):.1f}x, per packet "
                f"{match['us_per_pkt'] / r['us_per_pkt']:.1f}x"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--k", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16]
    )
    parser.add_argument("--n", type=lambda s: [int(x) for x in s.split(",")], default=[4, 6, 8])
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--measure", type=float, default=8)
    parser.add_argument("--quick", action="store_true", help="K=1,4, N=4, short windows")
    args = parser.parse_args()
    if args.quick:
        args.k, args.n, args.warmup, args.measure = [1, 4], [4], 2, 4
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
