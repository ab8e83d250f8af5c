"""SFU errors: one root class with a stable machine-readable code."""

from __future__ import annotations


class SfuError(Exception):
    """Any error the SFU reports to its caller; `code` is stable, `message` is for people."""

    code = "sfu_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, str]:
        """The error as a JSON-serialisable reply."""
        return {"type": "error", "code": self.code, "message": self.message}


class BadMessage(SfuError):
    """The message is not one the SFU understands, or lacks a field."""

    code = "bad_message"


class BadSdp(SfuError):
    """The SDP could not be parsed or applied."""

    code = "bad_sdp"


class UnsupportedCodec(SfuError):
    """The offer has no codec the SFU forwards (VP8, H.264, Opus)."""

    code = "unsupported_codec"


class NotInRoom(SfuError):
    """The participant (or target) has not joined this room."""

    code = "not_in_room"


class RoomClosed(SfuError):
    """The room or the whole SFU is closed."""

    code = "room_closed"


class NegotiationTimeout(SfuError):
    """A peer did not answer in time."""

    code = "negotiation_timeout"


class MutedByLeader(SfuError):
    """The participant tried to unmute audio the leader muted on the server."""

    code = "muted_by_leader"


class CaptionsUnavailable(SfuError):
    """This media server has no speech engine, so it cannot caption."""

    code = "captions_unavailable"


class BadClip(SfuError):
    """The clip file cannot be played without re-encoding, or is missing."""

    code = "bad_clip"
