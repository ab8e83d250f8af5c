"""One subscriber leg on its own: rewriting over long runs and wraparounds."""

from __future__ import annotations

import itertools
import struct
import time

import pytest
from aiortc import RTCPeerConnection
from aiortc.rtp import RtcpReceiverInfo, RtcpRrPacket, RtpPacket

from sfu.config import SfuConfig
from sfu.downtrack import DownTrack, ParkedTrack
from sfu.participant import Participant
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


async def sound_leg(pc: RTCPeerConnection) -> tuple[DownTrack, RecordingSink]:
    """An active audio leg from ann to bob on `pc`, sending into a RecordingSink."""
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
    return leg, sink


def receiver_report(ssrc: int, fraction: float) -> RtcpRrPacket:
    """A subscriber's receiver report on `ssrc` with `fraction` of it lost."""
    info = RtcpReceiverInfo(
        ssrc=ssrc,
        fraction_lost=round(fraction * 256),
        packets_lost=0,
        highest_sequence=0,
        jitter=0,
        lsr=0,
        dlsr=0,
    )
    return RtcpRrPacket(ssrc=1234, reports=[info])


async def test_a_leg_forwards_for_hours_across_sequence_wraparounds() -> None:
    pc = client_pc()
    try:
        leg, sink = await sound_leg(pc)
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


async def test_loss_on_the_publishers_way_up_is_not_blamed_on_the_subscribers_link() -> None:
    """The subscriber counts the leg's sequence gaps as lost; gaps the SFU never had are not
    its link's fault (a weak publisher must not put everyone else on a lower layer)."""
    pc = client_pc()
    try:
        leg, _sink = await sound_leg(pc)
        ssrc = leg._leg_ssrc
        seq = 7000

        def forward(count: int, *, every_lost: int) -> None:
            nonlocal seq
            for i in range(count):
                seq = (seq + 1) & 0xFFFF
                if every_lost and i % every_lost == 0:
                    continue  # lost on the publisher's way up: the SFU never had it
                packet = RtpPacket(payload_type=111, sequence_number=seq, timestamp=seq * 960)
                packet.payload = b"\x01\x02"
                leg.write(packet)

        async def report(fraction: float) -> float:
            await leg._on_rtcp(receiver_report(ssrc, fraction))
            return leg.fraction_lost

        forward(200, every_lost=10)
        # What the subscriber sees: exactly the publisher's 10 %; its own link lost nothing.
        assert await report(0.1) < 0.01
        forward(200, every_lost=10)
        # 10 % upstream and another 10 % of what was sent lost on the subscriber's link.
        assert 0.08 < await report(0.19) < 0.12
        forward(200, every_lost=0)
        # Nothing lost upstream: all the loss is the subscriber's link.
        assert 0.09 < await report(0.1) < 0.11
    finally:
        await pc.close()


async def test_a_loss_figure_from_before_a_step_down_does_not_judge_the_link_after_it() -> None:
    """Chromium reports on its sound every 5 s or so. Its report of the queue the top layer
    built (10 % lost) arrived after the leg moved down to a layer the 250 kbit/s link
    carries, and put Chromium on sound only: a figure covering time before the step down
    is left out until a report covers only time after it."""
    pc = client_pc()
    try:
        leg, _sink = await sound_leg(pc)
        participant = Participant("bob", SfuConfig(), emit=None, sources=None)  # type: ignore[arg-type]
        participant.legs["ann:audio"] = leg
        await leg._on_rtcp(receiver_report(leg._leg_ssrc, 0.1))
        assert participant.sound_loss() == pytest.approx(0.1, abs=0.01)
        stepped_at = time.monotonic()
        await leg._on_rtcp(receiver_report(leg._leg_ssrc, 0.1))  # covers the time before
        assert participant.sound_loss() == pytest.approx(0.1, abs=0.01), "it still counts..."
        assert participant.sound_loss(stepped_at) == 0, "...but not for the layer after"
        await leg._on_rtcp(receiver_report(leg._leg_ssrc, 0.06))  # only after the step
        assert participant.sound_loss(stepped_at) == pytest.approx(0.06, abs=0.01)
    finally:
        await pc.close()
