"""What `RTCPeerConnection.setRemoteDescription` means by the errors it raises."""

from __future__ import annotations

# aiortc raises a bare ValueError whose text is the only sign that no offered
# codec is one it can receive.
_NO_SEND_CODEC = "description send parameters"


def offer_has_no_usable_codec(exc: Exception) -> bool:
    """Whether a rejected remote offer failed because none of its codecs is supported."""
    return _NO_SEND_CODEC in str(exc)
