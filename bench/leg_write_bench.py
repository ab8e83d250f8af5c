"""The per-leg rewrite on its own: µs of CPU per `DownTrack.write`, one layer vs simulcast.

  PYTHONPATH=. .venv/bin/python bench/leg_write_bench.py

Runs the hot path (header rewrite, extension block, history) against a sink
that only counts (no SRTP, no socket), so it isolates what simulcast adds
per packet: a leg fed one layer, and a leg fed all three layers of which it
forwards one. Prints medians of 7 rounds of 100,000 packets. Runs on code
from before simulcast too (then only the one-layer row).
"""

from __future__ import annotations

import asyncio
import inspect
import statistics
import time
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection
from aiortc.rtp import RtpPacket

from sfu.downtrack import DownTrack, ParkedTrack
from sfu.payloads import vp8_keyframe_start

ROUNDS, PACKETS = 7, 20_000


class CountingSink:
    """Stands in for the leg's datagram sink."""

    def __init__(self) -> None:
        self.sent = 0

    def ready(self) -> bool:
        return True

    def send(self, data: bytes) -> bool:
        self.sent += 1
        return True


def packets(ssrc: int, base: int = 0) -> list[RtpPacket]:
    """A VP8 keyframe start then ordinary packets, 1,100 payload bytes each."""
    out = []
    for i in range(PACKETS):
        packet = RtpPacket(
            payload_type=97,
            sequence_number=(base + i) & 0xFFFF,
            timestamp=(base + i) * 3000 & 0xFFFFFFFF,
            ssrc=ssrc,
        )
        packet.payload = (b"\x10\x00" if i == 0 else b"\x00\x01") + bytes(1100)
        out.append(packet)
    return out


async def leg(pc: RTCPeerConnection, layers: int) -> tuple[DownTrack, Any]:
    transceiver = pc.addTransceiver(ParkedTrack("video"), direction="sendonly")
    kwargs: dict[str, Any] = {"layers": layers} if layers > 1 else {}
    request: Any = (
        (lambda layer: None)
        if "layers" in inspect.signature(DownTrack).parameters
        else (lambda: None)
    )
    down = DownTrack(
        publisher_id="ann",
        subscriber_id="bob",
        transceiver=transceiver,
        is_keyframe=vp8_keyframe_start,
        request_keyframe=request,
        history_size=512,
        **kwargs,
    )
    sink = CountingSink()
    down._sink = sink  # type: ignore[assignment]
    return down, sink


async def main() -> None:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
    simulcast = "layers" in inspect.signature(DownTrack).parameters
    try:
        one, _ = await leg(pc, 1)

        def one_feed(base: int) -> list[tuple[RtpPacket, int]]:
            return [(p, 0) for p in packets(1, base)]

        def mixed_feed(base: int) -> list[tuple[RtpPacket, int]]:
            trios = zip(packets(1, base), packets(2, base), packets(3, base), strict=True)
            return [(p, layer) for trio in trios for layer, p in enumerate(trio)]

        legs: list[tuple[str, DownTrack, Any]] = [("one layer", one, one_feed)]
        if simulcast:
            three, _ = await leg(pc, 3)
            legs.append(("simulcast, 3 layers in, top out", three, mixed_feed))
        await pc.setLocalDescription(await pc.createOffer())
        for _, down, _ in legs:
            down.activate()
        for name, down, make_feed in legs:
            sink = down._sink
            write = down.write
            timings = []
            fed = 0
            for round_ in range(ROUNDS):
                feed = make_feed(round_ * PACKETS)
                fed += len(feed)
                start = time.process_time()
                if simulcast:
                    for packet, layer in feed:
                        write(packet, layer)
                else:
                    for packet, _layer in feed:
                        write(packet)
                timings.append((time.process_time() - start) / len(feed) * 1e6)
            forwarded = sink.sent / fed  # type: ignore[attr-defined]
            print(
                f"{name:>34}: {statistics.median(timings):.2f} µs per packet in, "
                f"{statistics.median(timings) / forwarded:.2f} µs per packet forwarded "
                f"(median of {ROUNDS})"
            )
    finally:
        await pc.close()


if __name__ == "__main__":
    asyncio.run(main())
