"""Ingress cost per publisher RTP packet: aiortc's reader vs the native batch reader, same process.

  .venv/bin/python bench/sfu_ingress.py              # ~30 s
  .venv/bin/python bench/sfu_ingress.py --reps 15 --batch 200

Two publisher connections (aiortc client -> SFU-side aiortc peer over loopback,
DTLS-SRTP); each SFU-side receiver is hooked as the SFU hooks a publisher's
(`hook_publisher_receiver`: statistics, NACK generator, the forwarding hook,
here a counter). One of them reads its media natively (`sfu.native.watch_ingress`:
recvmmsg + SRTP unprotect in C, parse and handler without asyncio's queue), the
other the way aiortc does (asyncio reader, aioice, queue, pylibsrtp). Each batch
sends the same synthetic VP8 stream (1,200-byte payloads, protected beforehand
with the client's own SRTP session) from the client's nominated socket, in
chunks of 20 with an event-loop turn between, and waits until the hook has
seen every packet. Timed: thread CPU time of the whole batch (the client's
sendto is in both figures alike). The paths alternate within each rep.
Printed: medians over reps of µs per packet, and native/aiortc.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aioice.ice
from aiortc import (
    MediaStreamTrack,
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
)
from aiortc.rtp import RtpPacket

from sfu import native
from sfu.aiortc_internals.rtp_receiver import hook_publisher_receiver

aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: ["127.0.0.1"]


class Silent(MediaStreamTrack):
    """A video track that never yields a frame: the client sends only what the bench sends."""

    kind = "video"

    async def recv(self) -> Any:
        await asyncio.Event().wait()


class Publisher:
    def __init__(self, client: RTCPeerConnection, sfu: RTCPeerConnection, counter: list[int]):
        self.client, self.sfu, self.counter = client, sfu, counter
        sender = client.getTransceivers()[0].sender
        self.ssrc: int = sender._ssrc
        self.pt = 96
        for codec in client.getTransceivers()[0]._codecs:
            if codec.mimeType.lower() == "video/vp8":
                self.pt = codec.payloadType
        self.dtls = sender.transport
        self.seq = 0
        self.ts = 0
        self.waiter: list[Any] = []
        self.receiver: Any = None

    def datagrams(self, n: int) -> list[bytes]:
        out = []
        for _ in range(n):
            self.seq = (self.seq + 1) & 0xFFFF
            self.ts = (self.ts + 3000) & 0xFFFFFFFF
            packet = RtpPacket(
                payload_type=self.pt,
                sequence_number=self.seq,
                timestamp=self.ts,
                ssrc=self.ssrc,
                payload=b"\x10" + bytes(1199),
            )
            out.append(self.dtls._tx_srtp.protect(packet.serialize()))
        return out

    def route(self) -> tuple[Any, Any]:
        pair = self.dtls.transport._connection._nominated[1]
        return pair.protocol.transport, pair.remote_addr


async def connect(native_ingress: bool) -> Publisher:
    client = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sfu = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    client.addTransceiver(Silent(), direction="sendonly")
    counter = [0]
    hooked: list[Any] = []
    waiter: list[Any] = [None, 0]  # future, count it waits for

    @sfu.on("track")
    def on_track(track: Any) -> None:
        receiver = next(t.receiver for t in sfu.getTransceivers() if t.receiver.track is track)

        def count(packet: RtpPacket) -> None:
            counter[0] += 1
            if waiter[0] is not None and counter[0] >= waiter[1] and not waiter[0].done():
                waiter[0].set_result(None)

        hook_publisher_receiver(receiver, count, lambda: None, lambda: False)
        hooked.append(receiver)
        if native_ingress:
            native.watch_ingress(receiver.transport)

    await client.setLocalDescription(await client.createOffer())
    await sfu.setRemoteDescription(client.localDescription)
    await sfu.setLocalDescription(await sfu.createAnswer())
    await client.setRemoteDescription(
        RTCSessionDescription(sdp=sfu.localDescription.sdp, type="answer")
    )
    for _ in range(400):
        if client.connectionState == "connected" and sfu.connectionState == "connected":
            break
        await asyncio.sleep(0.025)
    else:
        raise RuntimeError("the publisher did not connect")
    await asyncio.sleep(0.2)
    pub = Publisher(client, sfu, counter)
    pub.waiter = waiter
    pub.receiver = hooked[0]
    return pub


async def run_batch(pub: Publisher, n: int) -> float:
    datagrams = pub.datagrams(n)
    transport, addr = pub.route()
    want = pub.counter[0] + n
    cpu0 = time.thread_time()
    for start in range(0, n, 20):
        for data in datagrams[start : start + 20]:
            transport.sendto(data, addr)
        await asyncio.sleep(0)
    if pub.counter[0] < want:
        pub.waiter[:] = [asyncio.get_running_loop().create_future(), want]
        try:
            await asyncio.wait_for(pub.waiter[0], 5)
        except TimeoutError:
            pass  # lost on loopback: counted below
        pub.waiter[0] = None
    cpu = time.thread_time() - cpu0
    got = n - (want - pub.counter[0])
    return cpu / max(got, 1) * 1e6


async def main_async(args: argparse.Namespace) -> None:
    if not native.AVAILABLE:
        raise SystemExit("the native extension is not built")
    native.use("native")
    pubs = {"aiortc": await connect(False), "native": await connect(True)}
    results: dict[str, list[float]] = {p: [] for p in pubs}
    for pub in pubs.values():  # warm up (and key the native session)
        await run_batch(pub, args.batch)
    for _ in range(args.reps):
        for name, pub in pubs.items():
            results[name].append(await run_batch(pub, args.batch))
    native_packets = native.ingress_packets(pubs["native"].receiver.transport)
    if native_packets < args.reps * args.batch or native.ingress_packets(
        pubs["aiortc"].receiver.transport
    ):
        raise SystemExit(f"the native reader took {native_packets} packets: not the path measured")
    aiortc_us = statistics.median(results["aiortc"])
    native_us = statistics.median(results["native"])
    print(f"reps={args.reps} batch={args.batch} packets of 1,200 bytes")
    print("| path | µs CPU per ingress packet (median) |")
    print("|---|---|")
    print(f"| aiortc reader | {aiortc_us:.2f} |")
    print(f"| native batch reader | {native_us:.2f} |")
    print(f"native/aiortc = {native_us / aiortc_us:.2f}")
    for pub in pubs.values():
        await pub.client.close()
        await pub.sfu.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--batch", type=int, default=200)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
