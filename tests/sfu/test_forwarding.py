"""Media reaches every other participant, from the right publisher, without transcoding."""

from __future__ import annotations

import asyncio

from sfu.aiortc_internals import rtp_receiver, rtp_transceiver
from sfu.aiortc_internals.rtp import is_pli
from tests.sfu.conftest import Harness, drop_outgoing_rtp, eventually


async def test_each_subscriber_sees_only_the_right_colour(harness: Harness) -> None:
    colours = {"ann": "red", "bob": "green", "cat": "blue"}
    peers = [await harness.joined(pid, colour) for pid, colour in colours.items()]

    def everyone_sees_everyone() -> bool:
        return all(
            p.video_frames_from(other) >= 10 and p.audio_frames[other] >= 10
            for p in peers
            for other in colours
            if other != p.id
        )

    await eventually(everyone_sees_everyone, what="frames from every other publisher")
    room = harness.sfu._rooms[harness.room]
    for participant in room.participants.values():
        assert participant.pub_pc is not None
        for receiver in participant.pub_pc.getReceivers():
            assert not rtp_receiver.decoder_running(receiver), "the SFU never decodes"
    for p in peers:
        assert p.id not in p.colours, "nobody receives their own video"
        for other, counts in p.colours.items():
            assert set(counts) == {colours[other]}, f"{p.id} got {counts} from {other}"


async def test_late_joiner_decodes_video_from_everyone(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 15, what="ann sees bob")

    cat = await harness.joined("cat", None)

    await eventually(
        lambda: cat.video_frames_from("ann") >= 3 and cat.video_frames_from("bob") >= 3,
        limit_s=10,
        what="a mid-stream joiner's first frames",
    )
    assert cat.colours["ann"].most_common(1)[0][0] == "red"
    assert bob.video_frames_from("ann") > 0


async def test_video_keeps_decoding_through_packet_loss_via_nacks(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = harness.peer("bob")
    bob.lossy = 0.05
    await bob.join()
    await bob.publish("green")
    await eventually(lambda: bob.video_frames_from("ann") >= 10, what="first frames")

    before = bob.video_frames_from("ann")
    await eventually(lambda: bob.dropped() >= 20, what="some packets lost")
    await eventually(lambda: bob.video_frames_from("ann") >= before + 30, what="more frames")

    assert harness.sfu.stats()["nacks_answered"] > 0
    assert set(bob.colours["ann"]) == {"red"}
    assert ann.video_frames_from("bob") > 0


async def test_h264_publisher_is_forwarded_as_h264(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green", video_codec="video/H264")

    await eventually(lambda: ann.video_frames_from("bob") >= 10, what="ann decodes bob's H.264")
    assert set(ann.colours["bob"]) == {"green"}
    assert ann.sub_pc is not None
    mimes = {
        t.receiver.track.kind: rtp_transceiver.negotiated_codec(t).mimeType
        for t in ann.sub_pc.getTransceivers()
    }
    assert mimes["video"] == "video/H264"


async def test_subscriber_picture_loss_is_relayed_to_the_publisher(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    assert bob.pub_pc is not None and ann.sub_pc is not None
    requested: list[object] = []
    video_sender = next(s for s in bob.pub_pc.getSenders() if s.kind == "video")
    original = video_sender._handle_rtcp_packet

    async def spy(packet: object) -> None:
        if is_pli(packet):
            requested.append(packet)
        await original(packet)

    video_sender._handle_rtcp_packet = spy  # type: ignore[method-assign]
    receiver = next(t.receiver for t in ann.sub_pc.getTransceivers() if t.kind == "video")
    ssrc = receiver.getSynchronizationSources()[0].source

    for _ in range(3):
        await receiver._send_rtcp_pli(ssrc)

    await eventually(lambda: len(requested) >= 1, what="a PLI at the publisher")
    frames = ann.video_frames_from("bob")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 5, what="video goes on")


async def test_malformed_packets_do_not_break_a_leg(harness: Harness) -> None:
    from aiortc.rtp import RtpPacket

    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    forwarder = harness.sfu._rooms[harness.room].participants["bob"].forwarders["video"]
    rtx_pt = next(iter(rtp_transceiver.negotiated_rtx_payload_types(forwarder.transceiver)), 0)
    for payload, pt in ((b"", 97), (b"\x90", 97), (b"\xff" * 3, 97), (b"\x00", rtx_pt)):
        packet = RtpPacket(payload_type=pt, sequence_number=1, timestamp=1, payload=payload)
        packet.padding_size = 3
        forwarder.on_packet(packet)

    frames = ann.video_frames_from("bob")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 10, what="video goes on")


async def test_sender_reports_count_what_each_leg_forwarded(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    assert ann.sub_pc is not None
    receiver = next(t.receiver for t in ann.sub_pc.getTransceivers() if t.kind == "video")
    reports: list[int] = []
    for _ in range(100):  # aiortc sends an SR every 0.5-1.5 s
        stats = await receiver.getStats()
        reports = [s.packetsSent for s in stats.values() if s.type == "remote-outbound-rtp"]
        if reports and reports[0] > 0:
            break
        await asyncio.sleep(0.1)
    leg = harness.sfu._rooms[harness.room].participants["ann"].legs["bob:video"]
    assert reports and 0 < reports[0] <= leg.packets_sent


async def test_legs_carry_send_times_so_subscribers_estimate_bandwidth(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    participant = harness.sfu._rooms[harness.room].participants["ann"]

    await eventually(lambda: participant.video_estimate_bps() is not None, what="REMB from ann")


async def test_a_publishers_lossy_uplink_does_not_make_its_viewers_links_look_lossy(
    harness: Harness,
) -> None:
    """Bob's sound lost on his way up reaches Ann as gaps; the loss is not Ann's link's.

    Before, Ann's receiver reports (about 10 % lost) were taken as her own link's
    loss: her layers stepped down, and the sound rule put her on sound only.
    """
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    viewer = harness.sfu._rooms[harness.room].participants["ann"]
    assert bob.pub_pc is not None
    dropped = drop_outgoing_rtp(bob.pub_pc, 0.1, seed=5)
    await eventually(lambda: dropped() >= 30, what="loss between bob and the SFU")
    samples = []
    for _ in range(24):
        await asyncio.sleep(0.25)
        samples.append(viewer.sound_loss())
    assert dropped() >= 60
    assert sum(samples) / len(samples) < 0.03, samples


async def test_loss_on_the_publishers_link_is_repaired_by_rtx(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    participant = harness.sfu._rooms[harness.room].participants["bob"]
    assert bob.pub_pc is not None
    dropped = drop_outgoing_rtp(bob.pub_pc, 0.05, seed=3)

    frames = ann.video_frames_from("bob")
    await eventually(lambda: dropped() >= 20, what="loss between bob and the SFU")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 40, what="video goes on")
    assert set(ann.colours["bob"]) == {"green"}
    assert participant.forwarders["video"].repaired > 0, "the SFU NACKed, bob resent by RTX"
    assert bob.video_frames_from("ann") > 0
