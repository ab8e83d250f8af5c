"""Egress fan-out cost per forwarded packet: Python legs vs the native core, same process.

  .venv/bin/python bench/sfu_native.py             # K = 1, 4, 8, 16; ~1 minute
  .venv/bin/python bench/sfu_native.py --reps 9 --batch 200

K real subscriber connections (aiortc, DTLS-SRTP over loopback UDP) each get a
parked leg (`sfu.downtrack.DownTrack`) of one synthetic VP8 stream (1,200-byte
payloads, keyframe first). Each batch feeds packets to `fan_out(packet, legs)`,
the seam `Forwarder.on_packet` calls, on the Python path (DownTrack.write,
aiortc's SRTP session, asyncio's sendto) or the native one (C rewrite, native
libsrtp session, sendmmsg). Only the fan-out calls are timed (thread CPU time
and wall clock, sendto/sendmmsg in the kernel included); between batches the
event loop runs so the subscribers drain their sockets. The subscribers count
what they decrypted, by SSRC: both paths must deliver.

Printed: per K and path the median over reps of µs per forwarded packet
(per packet per leg), and native/python ratios. The paths alternate within
each rep, so machine load hits both alike. Ingress (SRTP unprotect, parse,
receiver statistics) is not in this figure: see the anchor-bench run.

  .venv/bin/python bench/sfu_native.py --simulcast   # three layers, legs spread over them

With ``--simulcast`` the publisher sends three VP8 layers (packets interleaved,
each layer its own SSRC, sequence numbers, keyframes and 15-bit picture IDs with
TL0PICIDX, which each leg renumbers as the SFU's simulcast legs do) and leg i forwards
layer i % 3, as in a group where tiles differ: each packet goes to a third of
the legs, and every leg is visited (`fan_out(packet, legs, layer)`).

  .venv/bin/python bench/sfu_native.py --callgrind   # instruction counts, ~3 minutes

runs the same fan-out under valgrind's callgrind without peer connections
(each leg's sink sends over a plain loopback UDP socket, through the real
`DatagramSink` for Python and a native `Sink` for C, AES-128-GCM keys), and
prints user-space instructions per forwarded packet: robust to machine load,
kernel work (sendto/sendmmsg) not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aioice.ice
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtp import RtpPacket
from pylibsrtp import Policy, Session

from sfu import native
from sfu.aiortc_internals.dtls_transport import DatagramSink
from sfu.downtrack import DownTrack, ParkedTrack
from sfu.payloads import keyframe_detector

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]

# Subscriber side: count decrypted RTP by SSRC and stop there (no jitter buffer).
RECEIVED: dict[int, int] = {}
_original_rtp_data = RTCDtlsTransport._handle_rtp_data


async def _counting_rtp_data(self: RTCDtlsTransport, data: bytes, arrival_time_ms: int) -> None:
    ssrc = int.from_bytes(data[8:12], "big")
    if ssrc in RECEIVED and 127 < data[0] < 192 and not 191 < data[1] < 224:
        RECEIVED[ssrc] += 1
        return
    await _original_rtp_data(self, data, arrival_time_ms)


RTCDtlsTransport._handle_rtp_data = _counting_rtp_data  # type: ignore[method-assign]


def pc() -> RTCPeerConnection:
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


class Leg:
    """One subscriber: the SFU-side connection with its leg, and the client connection."""

    def __init__(self, sfu_pc: RTCPeerConnection, client: RTCPeerConnection, leg: DownTrack):
        self.sfu_pc, self.client, self.leg = sfu_pc, client, leg
        self.python_sink = leg._sink
        self.native_sink: Any = None


async def connect_leg(layers: int = 1, layer: int = 0) -> Leg:
    sfu_pc, client = pc(), pc()
    transceiver = sfu_pc.addTransceiver(ParkedTrack("video"), direction="sendonly")
    await sfu_pc.setLocalDescription(await sfu_pc.createOffer())
    await client.setRemoteDescription(sfu_pc.localDescription)
    await client.setLocalDescription(await client.createAnswer())
    await sfu_pc.setRemoteDescription(
        RTCSessionDescription(sdp=client.localDescription.sdp, type="answer")
    )
    leg = DownTrack(
        publisher_id="pub",
        subscriber_id=f"sub{id(client)}",
        transceiver=transceiver,
        is_keyframe=keyframe_detector("video/vp8"),
        request_keyframe=lambda *layer: None,
        history_size=512,
        layers=layers,
        vp8_ids=layers > 1,  # as the SFU makes simulcast VP8 legs: picture IDs renumbered
    )
    leg.select_layer(layer)
    leg.activate()
    for _ in range(400):
        if isinstance(leg._sink, DatagramSink) and leg._sink.ready():
            break
        await asyncio.sleep(0.025)
    else:
        raise RuntimeError("a subscriber did not connect")
    RECEIVED[leg._leg_ssrc] = 0
    made = Leg(sfu_pc, client, leg)
    if native.AVAILABLE:
        native.adopt(leg)
        made.native_sink = leg._sink
        leg._sink = made.python_sink
    return made


class Stream:
    """Synthetic VP8 RTP: 30 fps, 4 packets per frame, a keyframe every 60 frames."""

    def __init__(self, picture_ids: bool = False) -> None:
        self.seq = 1000
        self.n = 0
        self.body = os.urandom(1200)
        self.picture_ids = picture_ids
        """Whether the descriptor carries a 15-bit picture ID and TL0PICIDX (as Chromium's)."""
        self.first_picture = random.randrange(0x8000)

    def next(self) -> RtpPacket:
        frame, part = divmod(self.n, 4)
        packet = RtpPacket(payload_type=96, sequence_number=self.seq & 0xFFFF)
        packet.timestamp = (frame * 3000) & 0xFFFFFFFF
        packet.marker = int(part == 3)
        key = frame % 60 == 0
        start = 0x10 if part == 0 else 0x00
        if self.picture_ids:
            picture = (self.first_picture + frame) & 0x7FFF
            descriptor = bytes(
                [0x80 | start, 0xC0, 0x80 | picture >> 8, picture & 0xFF, frame & 0xFF]
            )
        else:
            descriptor = bytes([start])
        packet.payload = descriptor + bytes([0x00 if key else 0x01]) + self.body
        self.seq += 1
        self.n += 1
        return packet


class SimulcastStream:
    """Three synthetic VP8 layers, packets interleaved: each its own SSRC, numbering and
    keyframes (the first packet of each is one)."""

    LAYERS = 3

    def __init__(self) -> None:
        self.layers = [Stream(picture_ids=True) for _ in range(self.LAYERS)]
        for i, layer in enumerate(self.layers):
            layer.seq = 1000 + 20_000 * i
        self.n = 0

    def next(self) -> tuple[RtpPacket, int]:
        layer = self.n % self.LAYERS
        self.n += 1
        packet = self.layers[layer].next()
        packet.ssrc = 5000 + layer
        return packet, layer


async def run_batch(
    path: str, legs: list[Leg], stream: Stream | SimulcastStream, batch: int
) -> tuple[float, float, int]:
    """Forward `batch` packets to `legs` on `path`; (CPU s, wall s, packets sent)."""
    for item in legs:
        item.leg._sink = item.native_sink if path == "native" else item.python_sink
    fan_out = native.native_fan_out if path == "native" else native.python_fan_out
    downtracks = tuple(item.leg for item in legs)
    sent0 = sum(item.leg.packets_sent for item in legs)
    if isinstance(stream, SimulcastStream):
        layered = [stream.next() for _ in range(batch)]
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for packet, layer in layered:
            fan_out(packet, downtracks, layer)
    else:
        packets = [stream.next() for _ in range(batch)]
        cpu0, wall0 = time.thread_time(), time.perf_counter()
        for packet in packets:
            fan_out(packet, downtracks)
    cpu, wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    sent = sum(item.leg.packets_sent for item in legs) - sent0
    await asyncio.sleep(0.03)  # the subscribers drain their sockets
    return cpu, wall, sent


async def main_async(args: argparse.Namespace) -> None:
    paths = ["python", "native"] if native.AVAILABLE else ["python"]
    if not native.AVAILABLE:
        print("native extension not built: python path only")
    kmax = max(args.k)
    print(f"connecting {kmax} subscribers ...", flush=True)
    layers = SimulcastStream.LAYERS if args.simulcast else 1
    legs = [await connect_leg(layers, i % layers) for i in range(kmax)]
    stream: Stream | SimulcastStream = SimulcastStream() if args.simulcast else Stream()
    # Start every leg on a keyframe, on each path's sink (both sessions see the start).
    for path in paths:
        await run_batch(path, legs, stream, 240)
    results: dict[tuple[int, str], list[tuple[float, float]]] = {}
    for _rep in range(args.reps):
        for k in args.k:
            order = paths if _rep % 2 == 0 else paths[::-1]
            for path in order:
                cpu, wall, sent = await run_batch(path, legs[:k], stream, args.batch)
                # Simulcast: each packet to the legs on its layer (leg i on layer i % 3).
                expected = sum(
                    sum(1 for i in range(k) if i % layers == n % layers) for n in range(args.batch)
                )
                if sent != expected:
                    raise RuntimeError(f"{path} K={k}: sent {sent} of {expected}")
                results.setdefault((k, path), []).append((cpu / sent * 1e6, wall / sent * 1e6))
    await asyncio.sleep(0.5)
    total_sent = sum(item.leg.packets_sent for item in legs)
    delivered = sum(RECEIVED.values())
    print(
        f"\nfan-out cost, µs per forwarded packet (median of {args.reps} reps, "
        f"{args.batch} packets of 1,2xx bytes per batch"
        + (", three simulcast layers, leg i on layer i % 3)" if args.simulcast else ")")
    )
    print(
        f"{'K':>3} {'python cpu':>11} {'native cpu':>11} {'ratio':>6}   {'python wall':>11} "
        f"{'native wall':>11} {'ratio':>6}"
    )
    for k in args.k:
        row = [f"{k:>3}"]
        med = {
            p: (
                statistics.median(c for c, _ in results[(k, p)]),
                statistics.median(w for _, w in results[(k, p)]),
            )
            for p in paths
        }
        for i in (0, 1):
            for p in ("python", "native"):
                row.append(f"{med[p][i]:>11.2f}" if p in med else f"{'-':>11}")
            if len(med) == 2:
                row.append(f"{med['native'][i] / med['python'][i]:>6.2f}")
            row.append("  ")
        print(" ".join(row))
    print(
        f"\nsubscribers decrypted {delivered} of {total_sent} packets sent "
        f"({delivered / max(total_sent, 1):.1%}; loopback drops when a socket buffer fills)"
    )
    for item in legs:
        await item.sfu_pc.close()
        await item.client.close()


# --- callgrind mode: no peer connections, instruction counts ---

GCM128 = Policy.SRTP_PROFILE_AEAD_AES_128_GCM


async def offline_legs(k: int, key: bytes, rx: socket.socket) -> list[Leg]:
    """K legs whose sinks send to `rx` over loopback UDP, DTLS stand-ins already connected."""
    loop = asyncio.get_running_loop()
    made = []
    for _ in range(k):
        sfu_pc = pc()
        transceiver = sfu_pc.addTransceiver(ParkedTrack("video"), direction="sendonly")
        await sfu_pc.setLocalDescription(await sfu_pc.createOffer())
        leg = DownTrack(
            publisher_id="pub",
            subscriber_id="sub",
            transceiver=transceiver,
            is_keyframe=keyframe_detector("video/vp8"),
            request_keyframe=lambda *layer: None,
            history_size=512,
        )
        leg.activate()
        transport, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
        )
        remote = rx.getsockname()
        pair = SimpleNamespace(protocol=SimpleNamespace(transport=transport), remote_addr=remote)
        nominated = {1: pair}
        policy = Policy(key=key, ssrc_type=Policy.SSRC_ANY_OUTBOUND, srtp_profile=GCM128)
        policy.allow_repeat_tx = True
        policy.window_size = 1024
        dtls = SimpleNamespace(
            _state=State.CONNECTED,
            _tx_srtp=Session(policy),
            transport=SimpleNamespace(_connection=SimpleNamespace(_nominated=nominated)),
        )
        python_sink = DatagramSink(dtls)  # type: ignore[arg-type]
        leg._sink = python_sink
        item = Leg(sfu_pc, pc(), leg)
        if native.AVAILABLE:
            sink = native.Sink(dtls, "_state", State.CONNECTED, None)
            sock = transport.get_extra_info("socket")
            sink.set_route(native.Session(GCM128, key), nominated, pair, sock, *remote)
            item.native_sink = sink
        made.append(item)
    return made


def drain(rx: socket.socket) -> None:
    try:
        while True:
            rx.recv(4096)
    except BlockingIOError:
        pass


async def callgrind_phases(args: argparse.Namespace) -> None:
    """Inside valgrind: one dump per (K, path); only the fan-out calls are collected."""
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", 0))
    rx.setblocking(False)
    rx.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    legs = await offline_legs(max(args.k), bytes(28), rx)
    stream = Stream()
    paths = ["python", "native"] if native.AVAILABLE else ["python"]
    list(filter(None, [0]))  # a dump boundary (setup is not collected anyway)
    for k in args.k:
        for path in paths:
            for item in legs:
                item.leg._sink = item.native_sink if path == "native" else item.python_sink
            fan_out = native.native_fan_out if path == "native" else native.python_fan_out
            downtracks = tuple(item.leg for item in legs[:k])
            for _ in range(300):  # warm until every leg has started (not collected)
                before = [leg.packets_sent for leg in downtracks]
                fan_out(stream.next(), downtracks)
                drain(rx)
                if all(leg.packets_sent > n for leg, n in zip(downtracks, before, strict=True)):
                    break
            work = [(stream.next(), downtracks) for _ in range(args.batch)]
            sent0 = sum(leg.packets_sent for leg in downtracks)
            # Collected: starmap_next (valgrind --toggle-collect) wraps each fan_out call.
            collections.deque(itertools.starmap(fan_out, work), maxlen=0)
            sent = sum(leg.packets_sent for leg in downtracks) - sent0
            assert sent == k * args.batch, (path, k, sent)
            drain(rx)
            print(f"PHASE {k} {path} {sent}", flush=True)
            list(filter(None, [0]))  # dump boundary
    rx.close()


def run_callgrind(args: argparse.Namespace) -> None:
    out = Path(tempfile.mkdtemp(prefix="sfu-native-callgrind-"))
    command = [
        "valgrind",
        "--tool=callgrind",
        "--collect-atstart=no",
        "--toggle-collect=starmap_next",
        "--dump-before=filter_next",
        f"--callgrind-out-file={out}/cg.out",
        sys.executable,
        __file__,
        "--in-callgrind",
        "--k",
        ",".join(map(str, args.k)),
        "--batch",
        str(args.batch),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    phases = re.findall(r"PHASE (\d+) (\w+) (\d+)", done.stdout)
    if done.returncode != 0 or not phases:
        print(done.stdout[-2000:], done.stderr[-4000:])
        raise SystemExit("callgrind run failed")
    dumps = sorted(out.glob("cg.out.*"), key=lambda p: int(p.name.rsplit(".", 1)[1]))
    totals = []
    for dump in dumps:
        match = re.search(r"^(?:totals|summary): (\d+)", dump.read_text(), re.M)
        totals.append(int(match[1]) if match else 0)
    # Collection is on only inside the timed fan-out calls, so exactly the phases' dumps
    # count anything (other filter() calls only add empty dumps).
    per_phase = [t for t in totals if t > 0]
    if len(per_phase) != len(phases):
        raise SystemExit(f"{len(per_phase)} non-empty dumps for {len(phases)} phases")
    print(f"user-space instructions per forwarded packet (callgrind, {args.batch} packets per K)")
    rows: dict[int, dict[str, float]] = {}
    for (k, path, sent), ir in zip(phases, per_phase, strict=True):
        rows.setdefault(int(k), {})[path] = ir / int(sent)
    print(f"{'K':>3} {'python':>10} {'native':>10} {'ratio':>6}")
    for k, row in rows.items():
        py, c = row.get("python"), row.get("native")
        ratio = f"{c / py:>6.2f}" if py and c else ""
        print(f"{k:>3} {py or 0:>10,.0f} {c or 0:>10,.0f} {ratio}")
    print(f"(dumps in {out})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--k", type=lambda s: [int(x) for x in s.split(",")], default=[1, 4, 8, 16])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--callgrind", action="store_true", help="instruction counts")
    parser.add_argument("--simulcast", action="store_true", help="three layers, leg i on i % 3")
    parser.add_argument("--in-callgrind", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.callgrind:
        run_callgrind(args)
    elif args.in_callgrind:
        asyncio.run(callgrind_phases(args))
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
