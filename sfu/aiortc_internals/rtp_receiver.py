"""A publisher's `RTCRtpReceiver`: ingress packets, RTCP towards the publisher, encoded frames."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from aiortc import RTCRtpReceiver
from aiortc.codecs import get_decoder
from aiortc.jitterbuffer import JitterBuffer
from aiortc.rtcrtpreceiver import NackGenerator, StreamStatistics
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci, unwrap_rtx

logger = logging.getLogger(__name__)

PacketHook = Callable[[RtpPacket], None]
FrameHook = Callable[[Any, Any], None]


def hook_publisher_receiver(
    receiver: RTCRtpReceiver,
    on_packet: PacketHook,
    on_started: Callable[[], None],
    frames_wanted: Callable[[], bool],
    rtx_ssrcs: dict[int, int] | None = None,
) -> None:
    """Call `on_packet` with every decrypted RTP packet the receiver gets.

    Statistics (for receiver reports) and NACKs towards the publisher keep
    working. The receiver's full handler (depayload, jitter buffer, frame
    assembly) runs only while `frames_wanted()` (recording); otherwise a lean
    one keeps just statistics and NACKs. Its decoder thread is stopped as
    soon as it starts (the SFU never decodes); `on_started` then runs, e.g.
    to install a frame tap. `rtx_ssrcs` (retransmission SSRC -> media SSRC)
    adds the simulcast layers' RTX streams aiortc does not know about; each
    media SSRC gets its own NACK generator (layers have their own numbering).
    """
    original_handle = receiver._handle_rtp_packet
    original_receive = receiver.receive
    lean = _LeanReceive(receiver, rtx_ssrcs or {})

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

    def __init__(self, receiver: RTCRtpReceiver, extra_rtx: dict[int, int]) -> None:
        d = receiver.__dict__
        self._receiver = receiver
        self._codecs: dict[int, Any] = d["_RTCRtpReceiver__codecs"]
        self._streams: dict[int, StreamStatistics] = d["_RTCRtpReceiver__remote_streams"]
        self._rtx_ssrc: dict[int, int] = d["_RTCRtpReceiver__rtx_ssrc"]
        self._nack: NackGenerator | None = d["_RTCRtpReceiver__nack_generator"]
        self._extra_rtx = extra_rtx
        self._nacks: dict[int, NackGenerator] = {}
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
            original_ssrc = self._rtx_ssrc.get(packet.ssrc) or self._extra_rtx.get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or apt not in self._codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
        nack = self._nacks.get(packet.ssrc)
        if nack is None:
            # The first stream keeps the receiver's own generator (the full handler uses it).
            nack = self._nack if not self._nacks else NackGenerator()
            self._nacks[packet.ssrc] = nack
        if nack.add(packet):
            await self._receiver._send_rtcp_nack(packet.ssrc, sorted(nack.missing))


def _reset_jitter_buffer(receiver: RTCRtpReceiver) -> None:
    old = receiver.__dict__["_RTCRtpReceiver__jitter_buffer"]
    receiver.__dict__["_RTCRtpReceiver__jitter_buffer"] = JitterBuffer(
        capacity=old.capacity, prefetch=old._prefetch, is_video=old._is_video
    )


def decoder_for(codec: Any) -> Any:
    """aiortc's decoder of a negotiated codec (its ``decode(frame)`` gives av frames)."""
    return get_decoder(codec)


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


async def send_remb(receiver: RTCRtpReceiver, bitrate: int, media_ssrcs: list[int]) -> None:
    """Cap the publisher's bitrate for `media_ssrcs` with an RTCP REMB message."""
    ssrc = receiver_rtcp_ssrc(receiver)
    if ssrc is None:
        return
    packet = RtcpPsfbPacket(
        fmt=RTCP_PSFB_APP, ssrc=ssrc, media_ssrc=0, fci=pack_remb_fci(bitrate, media_ssrcs)
    )
    await receiver._send_rtcp(packet)


class FrameTap:
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


def tap_encoded_frames(receiver: RTCRtpReceiver) -> FrameTap:
    """Replace the (stopped) decoder with a tap that receives encoded frames.

    aiortc's jitter buffer already reassembles frames; the tap gets
    `(codec, JitterFrame)` with `.data` (encoded bytes) and `.timestamp`
    (RTP clock, starting at 0). Setting `tap.hook` starts the flow (recording).
    """
    tap = FrameTap()
    receiver.__dict__["_RTCRtpReceiver__decoder_queue"] = tap
    receiver.__dict__["_RTCRtpReceiver__decoder_thread"] = tap
    return tap
