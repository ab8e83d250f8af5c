"""RTP and RTCP packets from `aiortc.rtp`, a module aiortc does not export."""

from __future__ import annotations

from typing import Any

from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    RtpPacket,
    pack_remb_fci,
    unpack_remb_fci,
    unwrap_rtx,
)

__all__ = [
    "RTCP_PSFB_APP",
    "RTCP_RTPFB_NACK",
    "RtcpPsfbPacket",
    "RtcpReceiverInfo",
    "RtcpRrPacket",
    "RtcpRtpfbPacket",
    "RtcpSrPacket",
    "RtpPacket",
    "is_pli",
    "pack_remb_fci",
    "unpack_remb_fci",
    "unwrap_rtx",
]


def is_pli(packet: Any) -> bool:
    """Whether an RTCP packet asks for a keyframe (PLI or FIR)."""
    return isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR)
