"""Fails loudly if an aiortc/aioice internal the SFU relies on moves (both are pinned).

Every private name and module `sfu/aiortc_internals/` uses is listed here,
per aiortc object, and checked on the exact classes and on live objects; a
name used there but missing here fails too.
"""

from __future__ import annotations

import asyncio.selector_events
import importlib
import importlib.metadata
import inspect
import re

import aioice.ice
from aiortc import (
    RTCConfiguration,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCSessionDescription,
)
from aiortc.jitterbuffer import JitterBuffer

from sfu.aiortc_internals import dtls_transport, ice, rtp_receiver, rtp_sender, rtp_transceiver
from sfu.aiortc_internals.peer_connection import offer_has_no_usable_codec
from tests.sfu.conftest import client_pc
from tests.sfu.private_access import uses_inside_internals

# Methods looked up on the class.
CLASS_MEMBERS: dict[type, tuple[str, ...]] = {
    RTCRtpReceiver: (
        "_handle_rtp_packet",
        "_send_rtcp",
        "_send_rtcp_pli",
        "_send_rtcp_nack",
        "_RTCRtpReceiver__stop_decoder",
    ),
    RTCRtpSender: ("_handle_rtcp_packet",),
    # Its connect task, which close() leaves running, is found by its coroutine.
    RTCPeerConnection: ("_RTCPeerConnection__connect",),
    # The native ingress reader takes over a socket from asyncio's own reader.
    asyncio.selector_events.BaseSelectorEventLoop: ("_add_reader", "_remove_reader"),
}
# Attributes set on instances, per object of a negotiated connection.
INSTANCE_MEMBERS: dict[str, tuple[str, ...]] = {
    "RTCRtpReceiver": (
        "_enabled",
        "_RTCRtpReceiver__codecs",
        "_RTCRtpReceiver__decoder_queue",
        "_RTCRtpReceiver__decoder_thread",
        "_RTCRtpReceiver__jitter_buffer",
        "_RTCRtpReceiver__nack_generator",
        "_RTCRtpReceiver__remote_bitrate_estimator",
        "_RTCRtpReceiver__remote_streams",
        "_RTCRtpReceiver__rtcp_ssrc",
        "_RTCRtpReceiver__rtx_ssrc",
    ),
    "RTCRtpSender": (
        "_ssrc",
        "_rtx_ssrc",
        "_RTCRtpSender__ntp_timestamp",
        "_RTCRtpSender__octet_count",
        "_RTCRtpSender__packet_count",
        "_RTCRtpSender__rtp_timestamp",
    ),
    "RTCRtpTransceiver": ("_codecs", "_headerExtensions", "_offerDirection"),
    "RTCDtlsTransport": (
        "_state",
        "_tx_srtp",
        "_rx_srtp",
        "_ssl",
        "_role",
        "_rtp_header_extensions_map",
        "_rtp_router",
        "_RTCDtlsTransport__rx_bytes",
        "_RTCDtlsTransport__rx_packets",
    ),
    "RTCIceTransport": ("_connection",),
    "aioice.Connection": (
        "_nominated",
        "_query_consent_task",
        "_check_list",
        "_early_checks",
        "_protocols",
        "_closing",
    ),
    "JitterBuffer": ("_prefetch", "_is_video"),
}
# Modules aiortc/aioice do not export, and what the package takes from them.
MODULES: dict[str, tuple[str, ...]] = {
    "aiortc.rtp": (
        "RTCP_PSFB_APP",
        "RTCP_PSFB_FIR",
        "RTCP_PSFB_PLI",
        "RTCP_RTPFB_NACK",
        "RtcpPsfbPacket",
        "RtcpRrPacket",
        "RtcpRtpfbPacket",
        "RtcpSrPacket",
        "RtpPacket",
        "pack_remb_fci",
        "unpack_remb_fci",
        "unwrap_rtx",
    ),
    "aiortc.jitterbuffer": ("JitterBuffer",),
    "aiortc.rtcrtpreceiver": ("NackGenerator", "StreamStatistics"),
    "aiortc.codecs": ("get_decoder",),
    "aiortc.clock": ("current_ms",),
    "aiortc.rtcdtlstransport": ("State", "SRTP_PROFILES"),
    "aioice.ice": ("get_host_addresses", "CONSENT_INTERVAL", "CONSENT_FAILURES", "Connection"),
    "aioice.stun": ("TransactionError",),
}


def test_aiortc_and_aioice_are_the_pinned_versions() -> None:
    assert importlib.metadata.version("aiortc").startswith("1.16."), "aiortc moved"
    assert importlib.metadata.version("aioice") == "0.13.0", "aioice moved"


def test_every_private_name_the_package_uses_is_checked_here() -> None:
    checked = {n for names in (*CLASS_MEMBERS.values(), *INSTANCE_MEMBERS.values()) for n in names}
    for use in uses_inside_internals():
        if use.what == "__dict__":
            continue
        module = re.fullmatch(r"(?:from (\S+) import \.\.\.|import (\S+))", use.what)
        if module:
            assert (module[1] or module[2]) in MODULES, f"{use}: add its module to MODULES"
        else:
            assert use.what.strip(".'") in checked, f"{use}: add it to this test"


def test_private_methods_the_sfu_hooks_still_exist() -> None:
    for cls, names in CLASS_MEMBERS.items():
        for name in names:
            assert callable(getattr(cls, name, None)), f"{cls.__name__}.{name} moved"
    assert callable(RTCRtpReceiver.receive) and callable(RTCRtpSender.stop)


def test_modules_the_package_imports_from_still_hold_its_names() -> None:
    for module, names in MODULES.items():
        loaded = importlib.import_module(module)
        for name in names:
            assert hasattr(loaded, name), f"{module}.{name} moved"
    assert hasattr(importlib.import_module("aiortc.rtcdtlstransport").State, "CONNECTED")


def test_the_consent_checks_the_sfu_replaces_are_still_aioices_single_tries() -> None:
    original = inspect.getsource(ice._ORIGINAL_QUERY_CONSENT)
    # One try per check and six misses in a row: what ice._query_consent replaces.
    assert "retransmissions=0" in original and "CONSENT_FAILURES" in original
    assert "self._query_consent_task = asyncio.create_task(self.query_consent())" in (
        inspect.getsource(aioice.ice.Connection.connect)
    )


def test_the_receiver_handler_still_does_what_the_hooks_mirror() -> None:
    handler = inspect.getsource(RTCRtpReceiver._handle_rtp_packet)
    assert "__decoder_thread" in handler and "__decoder_queue.put" in handler
    # The lean ingress handler mirrors these steps of the receiver's own one.
    for step in ("__remote_streams[packet.ssrc].add(packet)", "__nack_generator.add(packet)"):
        assert step in handler, step
    # Sender reports are built from the counters SenderCounters sets.
    assert "__packet_count" in inspect.getsource(RTCRtpSender._run_rtcp)


async def test_private_attributes_exist_on_live_objects() -> None:
    pc = client_pc()
    try:
        transceiver = pc.addTransceiver("video", direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        receiver, sender = transceiver.receiver, transceiver.sender
        dtls = rtp_sender.sender_dtls(sender)
        objects = {
            "RTCRtpReceiver": receiver,
            "RTCRtpSender": sender,
            "RTCRtpTransceiver": transceiver,
            "RTCDtlsTransport": dtls,
            "RTCIceTransport": dtls.transport,
            "aioice.Connection": dtls.transport._connection,
            "JitterBuffer": JitterBuffer(capacity=16, prefetch=4, is_video=False),
        }
        for what, names in INSTANCE_MEMBERS.items():
            for name in names:
                assert name in objects[what].__dict__, f"{what}.{name} moved"
        assert isinstance(rtp_sender.sender_ssrc(sender), int)
        assert rtp_receiver.receiver_rtcp_ssrc(receiver) == sender._ssrc
        assert rtp_transceiver.negotiated_payload_type(transceiver) is not None
        assert "urn:ietf:params:rtp-hdrext:sdes:mid" in rtp_transceiver.negotiated_extension_ids(
            transceiver
        )
        assert not dtls_transport.DatagramSink(dtls).ready()
    finally:
        await pc.close()


async def offer_error(sdp: str) -> Exception:
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
    except Exception as exc:
        return exc
    finally:
        await pc.close()
    raise AssertionError("aiortc accepted the offer")


async def test_an_offer_without_usable_codecs_is_told_apart_by_its_error_text() -> None:
    pc = client_pc()
    pc.addTransceiver("video", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sdp = pc.localDescription.sdp
    await pc.close()
    unknown = re.sub(r"a=rtpmap:(\d+) [\w-]+/90000", r"a=rtpmap:\1 XV9/90000", sdp)
    assert offer_has_no_usable_codec(await offer_error(unknown))
    assert not offer_has_no_usable_codec(await offer_error("v=0\r\nthis is not sdp\r\nm=video\r\n"))


def test_loopback_host_patch_is_configurable() -> None:
    ice.set_ice_host_addresses(["127.0.0.1"])
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    ice.set_ice_host_addresses(None)
    assert "127.0.0.1" not in aioice.ice.get_host_addresses(True, False)
