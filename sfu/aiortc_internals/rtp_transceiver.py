"""Negotiated codecs and header extensions of an `RTCRtpTransceiver`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aiortc import RTCRtpTransceiver


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


def set_codec_parameters(
    transceiver: RTCRtpTransceiver, mime_type: str, parameters: dict[str, int]
) -> None:
    """Add fmtp ``parameters`` to the negotiated `mime_type` codec (before createAnswer)."""
    for codec in transceiver._codecs:
        if codec.mimeType.lower() == mime_type:
            codec.parameters = {**codec.parameters, **parameters}


def offered_for_sending(transceiver: RTCRtpTransceiver) -> bool:
    """Whether the remote offer sends media on this transceiver (sendonly or sendrecv)."""
    return transceiver._offerDirection in ("recvonly", "sendrecv")
