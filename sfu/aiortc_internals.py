"""Every touch of aiortc and aioice private internals, in one place.

The SFU forwards RTP packets without decoding them, which aiortc's public API
does not offer. The hooks below are tied to aiortc 1.16 (pinned in
pyproject); `tests/sfu/test_aiortc_internals.py` fails loudly if one moves.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aioice.ice
from aiortc import RTCRtpReceiver, RTCRtpSender, RTCRtpTransceiver
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcdtlstransport import RTCDtlsTransport, State
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RtcpPsfbPacket,
    RtpPacket,
    pack_remb_fci,
    unwrap_rtx,
)

logger = logging.getLogger(__name__)

PacketHook = Callable[[RtpPacket], None]
RtcpHook = Callable[[Any], Awaitable[bool]]

_ORIGINAL_GET_HOST_ADDRESSES = aioice.ice.get_host_addresses


def set_ice_host_addresses(addresses: Sequence[str] | None) -> None:
    """Make aioice offer exactly `addresses` as host candidates (None: its default).

    aioice skips 127.0.0.1 unless told otherwise; this is process-wide.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _ORIGINAL_GET_HOST_ADDRESSES
        return
    fixed = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return list(fixed)

    aioice.ice.get_host_addresses = host_addresses


def hook_publisher_receiver(
    receiver: RTCRtpReceiver,
    on_packet: PacketHook,
    on_started: Callable[[], None],
    frames_wanted: Callable[[], bool],
) -> None:
    """Call `on_packet` with every decrypted RTP packet the receiver gets.

    Statistics (for receiver reports) and NACKs towards the publisher keep
    working. The receiver's full handler (depayload, jitter buffer, frame
    assembly) runs only while `frames_wanted()` (recording); otherwise a lean
    one keeps just statistics and NACKs. Its decoder thread is stopped as
    soon as it starts (the SFU never decodes); `on_started` then runs, e.g.
    to install a frame tap.
    """
    original_handle = receiver._handle_rtp_packet
    original_receive = receiver.receive
    lean = _LeanReceive(receiver)

    async def handle_rtp_packet(packet: RtpPacket, arrival_time_ms: int) -> None:
        try:
            on_packet(packet)
        except Exception:
            logger.exception("forwarding hook failed on %r", packet)
        if frames_wanted():
            if not lean.full:
                lean.full = True
                _reset_jitter_buffer(receiver)  # it missed every packet while lean
            await original_handle(packet, arrival_time_ms)
        else:
            lean.full = False
            await lean.handle(packet)

    async def receive(parameters: Any) -> None:
        await original_receive(parameters)
        _stop_decoder(receiver)
        # Our own REMB (the video budget) replaces the receiver's estimate.
        receiver._RTCRtpReceiver__remote_bitrate_estimator = None  # type: ignore[attr-defined]
        on_started()

    receiver._handle_rtp_packet = handle_rtp_packet  # type: ignore[method-assign]
    receiver.receive = receive  # type: ignore[method-assign]


class _LeanReceive:
    """The part of `RTCRtpReceiver._handle_rtp_packet` an SFU needs: statistics and NACKs."""

    def __init__(self, receiver: RTCRtpReceiver) -> None:
        d = receiver.__dict__
        self._receiver = receiver
        self._codecs: dict[int, Any] = d["_RTCRtpReceiver__codecs"]
        self._streams: dict[int, StreamStatistics] = d["_RTCRtpReceiver__remote_streams"]
        self._rtx_ssrc: dict[int, int] = d["_RTCRtpReceiver__rtx_ssrc"]
        self._nack: NackGenerator | None = d["_RTCRtpReceiver__nack_generator"]
        self.full = False
        """Whether the full handler ran for the previous packet."""

    async def handle(self, packet: RtpPacket) -> None:
        if not self._receiver._enabled:
            return
        codec = self._codecs.get(packet.payload_type)
        if codec is None:
            return
        stream = self._streams.get(packet.ssrc)
        if stream is None:
            stream = self._streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stream.add(packet)
        if self._nack is None:
            return
        if codec.mimeType.lower().endswith("/rtx"):
            original_ssrc = self._rtx_ssrc.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in self._codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        if self._nack.add(packet):
            await self._receiver._send_rtcp_nack(packet.ssrc, sorted(self._nack.missing))


def _reset_jitter_buffer(receiver: RTCRtpReceiver) -> None:
    old = receiver.__dict__["_RTCRtpReceiver__jitter_buffer"]
    receiver.__dict__["_RTCRtpReceiver__jitter_buffer"] = JitterBuffer(
        capacity=old.capacity, prefetch=old._prefetch, is_video=old._is_video
    )


def _stop_decoder(receiver: RTCRtpReceiver) -> None:
    """Stop the receiver's decoder thread; frames are then assembled and dropped."""
    receiver._RTCRtpReceiver__stop_decoder()  # type: ignore[attr-defined]


def decoder_running(receiver: RTCRtpReceiver) -> bool:
    """Whether the receiver runs a real decoder thread (tests check the SFU's never do)."""
    thread = receiver.__dict__.get("_RTCRtpReceiver__decoder_thread")
    return isinstance(thread, threading.Thread) and thread.is_alive()


def receiver_rtcp_ssrc(receiver: RTCRtpReceiver) -> int | None:
    """The SSRC the receiver signs its RTCP with (None before negotiation)."""
    ssrc: int | None = receiver._RTCRtpReceiver__rtcp_ssrc  # type: ignore[attr-defined]
    return ssrc


async def send_pli(receiver: RTCRtpReceiver, media_ssrc: int) -> None:
    """Ask the publisher behind `receiver` for a keyframe of `media_ssrc`."""
    await receiver._send_rtcp_pli(media_ssrc)


async def send_remb(receiver: RTCRtpReceiver, bitrate: int, media_ssrc: int) -> None:
    """Cap the publisher's bitrate for `media_ssrc` with an RTCP REMB message."""
    ssrc = receiver_rtcp_ssrc(receiver)
    if ssrc is None:
        return
    packet = RtcpPsfbPacket(
        fmt=RTCP_PSFB_APP, ssrc=ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, [media_ssrc])
    )
    await receiver._send_rtcp(packet)


def is_pli(packet: Any) -> bool:
    """Whether an RTCP packet asks for a keyframe (PLI or FIR)."""
    return isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR)


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC a subscriber leg's packets must carry."""
    return int(sender._ssrc)


def hook_sender_rtcp(sender: RTCRtpSender, on_rtcp: RtcpHook) -> None:
    """Give RTCP for a parked sender to `on_rtcp` first.

    The sender never sends by itself, so its own NACK and PLI handling would
    do nothing useful; `on_rtcp` returns True when it handled the packet.
    """
    original = sender._handle_rtcp_packet

    async def handle_rtcp_packet(packet: Any) -> None:
        try:
            if await on_rtcp(packet):
                return
        except Exception:
            logger.exception("RTCP hook failed on %r", packet)
            return
        await original(packet)

    sender._handle_rtcp_packet = handle_rtcp_packet  # type: ignore[method-assign]


class SenderCounters:
    """Keeps a parked sender's sender-report fields true to what the leg sent."""

    __slots__ = ("_sender",)

    def __init__(self, sender: RTCRtpSender) -> None:
        self._sender = sender

    def update(self, ntp: int, rtp_timestamp: int, packets: int, octets: int) -> None:
        """Set the fields the next RTCP sender report is built from."""
        d = self._sender.__dict__
        d["_RTCRtpSender__ntp_timestamp"] = ntp
        d["_RTCRtpSender__rtp_timestamp"] = rtp_timestamp
        d["_RTCRtpSender__packet_count"] = packets
        d["_RTCRtpSender__octet_count"] = octets


def negotiated_payload_type(transceiver: RTCRtpTransceiver) -> int | None:
    """Payload type of the first negotiated (primary) codec."""
    codecs = transceiver._codecs
    return codecs[0].payloadType if codecs else None


def negotiated_codec(transceiver: RTCRtpTransceiver) -> Any:
    """The first negotiated codec of a transceiver (None before negotiation)."""
    codecs = transceiver._codecs
    return codecs[0] if codecs else None


def negotiated_rtx_payload_types(transceiver: RTCRtpTransceiver) -> dict[int, int]:
    """RTX payload type -> the payload type it repairs."""
    out: dict[int, int] = {}
    for codec in transceiver._codecs:
        if codec.mimeType.lower().endswith("/rtx"):
            apt = codec.parameters.get("apt")
            if isinstance(apt, int) and codec.payloadType is not None:
                out[codec.payloadType] = apt
    return out


def negotiated_extension_ids(transceiver: RTCRtpTransceiver) -> dict[str, int]:
    """Header extension URI -> id, as negotiated for this transceiver."""
    return {ext.uri: ext.id for ext in transceiver._headerExtensions if ext.id is not None}


class DatagramSink:
    """Sends one subscriber leg's RTP synchronously: SRTP protect, then UDP.

    Bypasses aiortc's async send chain (three awaits per packet). The
    nominated ICE pair is looked up on every packet so that an ICE restart,
    which replaces it, needs no re-hooking.
    """

    __slots__ = ("_dtls",)

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls

    def ready(self) -> bool:
        """Whether DTLS is up and ICE has a nominated pair."""
        dtls = self._dtls
        return dtls._state == State.CONNECTED and bool(dtls.transport._connection._nominated)

    def send(self, data: bytes) -> bool:
        """Protect and send one RTP packet; False when the leg cannot send yet."""
        dtls = self._dtls
        if dtls._state != State.CONNECTED:
            return False
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None or pair.protocol.transport is None:
            return False
        pair.protocol.transport.sendto(dtls._tx_srtp.protect(data), pair.remote_addr)
        return True


def sender_dtls(sender: RTCRtpSender) -> RTCDtlsTransport:
    """The DTLS transport a sender's packets leave through (bundled or not)."""
    return sender.transport


FrameHook = Callable[[Any, Any], None]


class _FrameTap:
    """Stands in for a receiver's decoder queue: hands assembled frames to a hook."""

    def __init__(self) -> None:
        self.hook: FrameHook | None = None

    def put(self, item: Any) -> None:
        if item is None or self.hook is None:
            return
        codec, frame = item
        try:
            self.hook(codec, frame)
        except Exception:
            logger.exception("frame hook failed")

    def join(self) -> None:
        """Stands in for the decoder thread's `join` at receiver stop."""


def tap_encoded_frames(receiver: RTCRtpReceiver) -> _FrameTap:
    """Replace the (stopped) decoder with a tap that receives encoded frames.

    aiortc's jitter buffer already reassembles frames; the tap gets
    `(codec, JitterFrame)` with `.data` (encoded bytes) and `.timestamp`
    (RTP clock, starting at 0). Setting `tap.hook` starts the flow (recording).
    """
    tap = _FrameTap()
    receiver.__dict__["_RTCRtpReceiver__decoder_queue"] = tap
    receiver.__dict__["_RTCRtpReceiver__decoder_thread"] = tap
    return tap


def keep_codecs(transceiver: RTCRtpTransceiver, mime_types: Sequence[str]) -> bool:
    """Restrict a just-offered transceiver to the first of `mime_types` it offers.

    Runs between setRemoteDescription and createAnswer, so the answer names
    only codecs the SFU forwards. RTX is kept for the codecs kept. Returns
    False when nothing is left.
    """
    codecs = transceiver._codecs
    # Exactly one media codec in the answer, so the publisher cannot switch to
    # another one mid-stream that the subscribers did not negotiate.
    primary = [c for m in mime_types for c in codecs if c.mimeType.lower() == m][:1]
    kept_pts = {c.payloadType for c in primary}
    rtx = [
        c
        for c in codecs
        if c.mimeType.lower().endswith("/rtx") and c.parameters.get("apt") in kept_pts
    ]
    transceiver._codecs = primary + rtx
    return bool(primary)


def offered_for_sending(transceiver: RTCRtpTransceiver) -> bool:
    """Whether the remote offer sends media on this transceiver (sendonly or sendrecv)."""
    return transceiver._offerDirection in ("recvonly", "sendrecv")
