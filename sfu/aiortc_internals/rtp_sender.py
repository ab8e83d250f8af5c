"""A subscriber leg's parked `RTCRtpSender`: its SSRC, RTCP and sender-report counters."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiortc import RTCDtlsTransport, RTCRtpSender

logger = logging.getLogger(__name__)

RtcpHook = Callable[[Any], Awaitable[bool]]


def sender_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC a subscriber leg's packets must carry."""
    return int(sender._ssrc)


def sender_rtx_ssrc(sender: RTCRtpSender) -> int:
    """The SSRC of a sender's RTX stream (aiortc picks one whether or not RTX is negotiated)."""
    return int(sender._rtx_ssrc)


def sender_dtls(sender: RTCRtpSender) -> RTCDtlsTransport:
    """The DTLS transport a sender's packets leave through (bundled or not)."""
    return sender.transport


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


def unhook_sender_rtcp(sender: RTCRtpSender) -> None:
    """Undo `hook_sender_rtcp`: aiortc keeps a stopped leg's sender for the life of its
    connection, and the hook would keep the leg (and its history) with it."""
    sender.__dict__.pop("_handle_rtcp_packet", None)


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
