"""Fails loudly if an aiortc/aioice internal the SFU relies on moves (aiortc is pinned to 1.16)."""

from __future__ import annotations

import inspect

import aioice.ice
import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import RTCDtlsTransport, State

from sfu import aiortc_internals as internals
from tests.sfu.conftest import client_pc


def test_aiortc_is_the_pinned_version() -> None:
    assert aiortc.__version__.startswith("1.16."), aiortc.__version__


def test_private_methods_the_sfu_hooks_still_exist() -> None:
    for cls, names in (
        (RTCRtpReceiver, ["_handle_rtp_packet", "_send_rtcp", "_send_rtcp_pli", "receive"]),
        (RTCRtpReceiver, ["_RTCRtpReceiver__stop_decoder"]),
        (RTCRtpSender, ["_handle_rtcp_packet", "stop"]),
        (RTCDtlsTransport, ["_handle_rtp_data", "_send_rtp"]),
    ):
        for name in names:
            assert callable(getattr(cls, name, None)), f"{cls.__name__}.{name} moved"
    assert callable(aioice.ice.get_host_addresses)
    assert "__decoder_thread" in inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "__decoder_queue.put" in inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "__packet_count" in inspect.getsource(RTCRtpSender._run_rtcp)
    # The lean ingress handler mirrors these steps of the receiver's own one.
    handler = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    for step in ("__remote_streams[packet.ssrc].add(packet)", "__nack_generator.add(packet)"):
        assert step in handler, step
    assert hasattr(State, "CONNECTED")
    buffer = JitterBuffer(capacity=16, prefetch=4, is_video=False)
    assert (buffer.capacity, buffer._prefetch, buffer._is_video) == (16, 4, False)


async def test_private_attributes_exist_on_live_objects() -> None:
    pc = client_pc()
    try:
        transceiver = pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        receiver, sender = transceiver.receiver, transceiver.sender
        for name in (
            "_RTCRtpReceiver__decoder_queue",
            "_RTCRtpReceiver__decoder_thread",
            "_RTCRtpReceiver__remote_bitrate_estimator",
            "_RTCRtpReceiver__rtcp_ssrc",
            "_RTCRtpReceiver__codecs",
            "_RTCRtpReceiver__remote_streams",
            "_RTCRtpReceiver__rtx_ssrc",
            "_RTCRtpReceiver__nack_generator",
            "_RTCRtpReceiver__jitter_buffer",
        ):
            assert name in receiver.__dict__, name
        for name in (
            "_RTCRtpSender__ntp_timestamp",
            "_RTCRtpSender__rtp_timestamp",
            "_RTCRtpSender__packet_count",
            "_RTCRtpSender__octet_count",
        ):
            assert name in sender.__dict__, name
        assert "_offerDirection" in transceiver.__dict__
        assert isinstance(internals.sender_ssrc(sender), int)
        assert internals.receiver_rtcp_ssrc(receiver) == sender._ssrc
        assert internals.negotiated_payload_type(transceiver) is not None
        assert "urn:ietf:params:rtp-hdrext:sdes:mid" in internals.negotiated_extension_ids(
            transceiver
        )
        dtls = internals.sender_dtls(sender)
        assert hasattr(dtls, "_tx_srtp") or "_tx_srtp" in inspect.getsource(RTCDtlsTransport)
        assert isinstance(dtls.transport._connection._nominated, dict)
        assert not internals.DatagramSink(dtls).ready()
    finally:
        await pc.close()


def test_loopback_host_patch_is_configurable() -> None:
    internals.set_ice_host_addresses(["127.0.0.1"])
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    internals.set_ice_host_addresses(None)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)
