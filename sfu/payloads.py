"""Keyframe detection from RTP payloads (VP8 payload descriptor, H.264 NAL units)."""

from __future__ import annotations

from collections.abc import Callable


def vp8_keyframe_start(payload: bytes) -> bool:
    """Whether a VP8 RTP payload starts a keyframe (RFC 7741 descriptor + frame tag)."""
    n = len(payload)
    if n < 2:
        return False
    b0 = payload[0]
    # S bit set and partition index 0: the first packet of a frame.
    if not b0 & 0x10 or b0 & 0x07:
        return False
    i = 1
    if b0 & 0x80:
        x = payload[1]
        i = 2
        if x & 0x80:  # I: picture id, 7 or 15 bits
            if i >= n:
                return False
            i += 2 if payload[i] & 0x80 else 1
        if x & 0x40:  # L: TL0PICIDX
            i += 1
        if x & 0x30:  # T or K: TID/KEYIDX
            i += 1
    # VP8 frame tag: P bit clear means a keyframe.
    return i < n and not payload[i] & 0x01


def vp8_keyframe_size(payload: bytes) -> tuple[int, int] | None:
    """Width and height from the first packet of a VP8 keyframe (None if it is not one)."""
    if not vp8_keyframe_start(payload):
        return None
    i = 1
    if payload[0] & 0x80:
        x = payload[1]
        i = 2
        if x & 0x80:
            i += 2 if payload[i] & 0x80 else 1
        i += bool(x & 0x40) + bool(x & 0x30)
    # Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
    header = payload[i : i + 10]
    if len(header) < 10 or header[3:6] != b"\x9d\x01\x2a":
        return None
    width = int.from_bytes(header[6:8], "little") & 0x3FFF
    height = int.from_bytes(header[8:10], "little") & 0x3FFF
    return width, height


def h264_keyframe_start(payload: bytes) -> bool:
    """Whether an H.264 RTP payload carries an IDR slice or SPS start (RFC 6184)."""
    if not payload:
        return False
    nal = payload[0] & 0x1F
    if nal in (5, 7):
        return True
    if nal == 24:  # STAP-A: scan aggregated units
        i = 1
        while i + 2 < len(payload):
            size = int.from_bytes(payload[i : i + 2], "big")
            if payload[i + 2] & 0x1F in (5, 7):
                return True
            i += 2 + size
        return False
    if nal == 28 and len(payload) > 1:  # FU-A: start of an IDR fragment
        return bool(payload[1] & 0x80) and payload[1] & 0x1F == 5
    return False


def keyframe_detector(mime_type: str) -> Callable[[bytes], bool] | None:
    """The keyframe test for a codec, or None for audio (every packet is a start)."""
    mime = mime_type.lower()
    if mime == "video/vp8":
        return vp8_keyframe_start
    if mime == "video/h264":
        return h264_keyframe_start
    return None
