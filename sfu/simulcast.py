"""Simulcast layers a publisher declares in its offer, read from the SDP text.

aiortc 1.16 has no simulcast: its SDP model drops `a=rid` and
`a=simulcast`, its answer would never carry them (so a browser offering
rid-based simulcast falls back to one layer), and it does not negotiate the
rtp-stream-id header extension. What does reach the SFU is the SSRC form:
`a=ssrc-group:SIM low mid high` (plus `a=ssrc-group:FID media rtx` per
layer), as browsers send after the page declares the group in its offer.
aiortc's RTP router then hands every layer to the one video receiver
(unknown SSRCs are routed by payload type), and the forwarder tells the
layers apart by SSRC.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Simulcast:
    """The layers of one published video, lowest first."""

    ssrcs: tuple[int, ...]
    """Media SSRC of each layer, lowest resolution first (the SIM group's order)."""
    rtx: dict[int, int]
    """Retransmission SSRC -> the media SSRC it repairs."""


def video_section(sdp: str) -> list[str]:
    """The attribute lines of the first video m-section of `sdp`."""
    lines: list[str] = []
    inside = False
    for line in sdp.splitlines():
        if line.startswith("m="):
            if inside:
                break
            inside = line.startswith("m=video")
            continue
        if inside:
            lines.append(line.strip())
    return lines


def parse_simulcast(sdp: str) -> Simulcast | None:
    """The SIM group of the offer's video (None: one layer, or a form we cannot receive)."""
    section = video_section(sdp)
    layers: tuple[int, ...] = ()
    rtx: dict[int, int] = {}
    for line in section:
        if line.startswith("a=ssrc-group:"):
            semantics, _, rest = line[len("a=ssrc-group:") :].partition(" ")
            try:
                ssrcs = tuple(int(s) for s in rest.split())
            except ValueError:
                continue
            if semantics == "SIM" and len(ssrcs) > 1 and not layers:
                layers = ssrcs
            elif semantics == "FID" and len(ssrcs) == 2:
                rtx[ssrcs[1]] = ssrcs[0]
    if not layers and any(line.startswith("a=simulcast:") for line in section):
        # Our answer cannot carry a=simulcast (aiortc drops it): the browser sends one layer.
        logger.info("rid-based simulcast offered: answering for one layer")
    if len(set(layers)) != len(layers):
        return None
    return Simulcast(ssrcs=layers, rtx=rtx) if layers else None
