"""Reading RTP payloads: keyframes (VP8 payload descriptor, H.264 NAL units), VP8 picture IDs."""

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


def _vp8_id_fields(payload: bytes) -> tuple[int | None, int, int | None]:
    """Where a VP8 payload descriptor keeps its IDs: (the picture ID, or None; where its
    field ends, or 2; where TL0PICIDX is, or None). Nothing is found in a descriptor cut
    short inside either field."""
    n = len(payload)
    if n < 3 or not payload[0] & 0x80 or not payload[1] & 0xC0:
        return None, 2, None
    x = payload[1]
    picture_id, end = None, 2
    if x & 0x80:
        if payload[2] & 0x80:
            if n < 4:
                return None, 2, None
            picture_id, end = (payload[2] & 0x7F) << 8 | payload[3], 4
        else:
            picture_id, end = payload[2], 3
    return picture_id, end, end if x & 0x40 and end < n else None


def vp8_ids(payload: bytes) -> tuple[int | None, int | None]:
    """The picture ID (15-bit space) and TL0PICIDX of a VP8 payload descriptor (None: absent)."""
    picture_id, _, tl0_at = _vp8_id_fields(payload)
    return picture_id, None if tl0_at is None else payload[tl0_at]


def rewrite_vp8_ids(
    payload: bytes, picture_offset: int, tl0_offset: int
) -> tuple[bytes, int | None, int | None]:
    """`payload` with its picture ID and TL0PICIDX moved on by the offsets (mod 2^15, 2^8),
    and the two IDs it now carries (None: absent).

    A 7-bit picture ID is widened to 15 bits (the descriptor grows a byte): the
    offset is in the 15-bit space. A payload whose descriptor has neither is
    returned as it is.
    """
    picture_id, end, tl0_at = _vp8_id_fields(payload)
    if picture_id is None and tl0_at is None:
        return payload, None, None
    head = bytearray(payload[:2])
    if picture_id is not None:
        picture_id = picture_id + picture_offset & 0x7FFF
        head += (0x8000 | picture_id).to_bytes(2, "big")
    tl0 = None
    if tl0_at is not None:
        tl0 = payload[tl0_at] + tl0_offset & 0xFF
        head.append(tl0)
        end += 1
    return bytes(head) + payload[end:], picture_id, tl0
