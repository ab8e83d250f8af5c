"""One subscriber leg on its own: rewriting over long runs and wraparounds."""

from __future__ import annotations

import itertools
import struct

from aiortc.rtp import RtpPacket

from sfu.downtrack import DownTrack, ParkedTrack
from tests.sfu.conftest import client_pc


class RecordingSink:
    """Stands in for the leg's datagram sink: keeps what would be sent."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def ready(self) -> bool:
        return True

    def send(self, data: bytes) -> bool:
        self.sent.append(data)
        return True


async def test_a_leg_forwards_for_hours_across_sequence_wraparounds() -> None:
    pc = client_pc()
    try:
        transceiver = pc.addTransceiver(ParkedTrack("audio"), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        leg = DownTrack(
            publisher_id="ann",
            subscriber_id="bob",
            transceiver=transceiver,
            is_keyframe=None,
            request_keyframe=lambda layer: None,
            history_size=512,
        )
        sink = RecordingSink()
        leg._sink = sink  # type: ignore[assignment]
        leg.activate()
        count = 140_000  # two wraparounds of the 16-bit sequence number
        for i in range(count):
            packet = RtpPacket(payload_type=111, sequence_number=(1000 + i) & 0xFFFF, timestamp=i)
            packet.payload = b"\x01\x02"
            leg.write(packet)

        assert len(sink.sent) == count
        seqs = [struct.unpack_from("!H", data, 2)[0] for data in sink.sent]
        assert all((b - a) & 0xFFFF == 1 for a, b in itertools.pairwise(seqs))
        old = RtpPacket(payload_type=111, sequence_number=(1000 + count - 600) & 0xFFFF)
        leg.write(old)  # a late retransmission still inside the window is forwarded
        assert len(sink.sent) == count + 1
    finally:
        await pc.close()
