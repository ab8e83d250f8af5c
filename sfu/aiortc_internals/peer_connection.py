"""What `RTCPeerConnection.setRemoteDescription` means by the errors it raises, and
the connect task `RTCPeerConnection.close()` leaves running."""

from __future__ import annotations

import asyncio
from typing import Any

from aiortc import RTCPeerConnection

# aiortc raises a bare ValueError whose text is the only sign that no offered
# codec is one it can receive.
_NO_SEND_CODEC = "description send parameters"

# The coroutine aiortc starts (and keeps no handle on) after each description is
# set: ICE checks, the DTLS handshake, then each transceiver's sender and receiver.
_CONNECT_QUALNAME = RTCPeerConnection._RTCPeerConnection__connect.__qualname__  # type: ignore[attr-defined]


def offer_has_no_usable_codec(exc: Exception) -> bool:
    """Whether a rejected remote offer failed because none of its codecs is supported."""
    return _NO_SEND_CODEC in str(exc)


def connect_tasks(pc: RTCPeerConnection) -> list[asyncio.Task[Any]]:
    """The tasks still connecting `pc`; `close()` does not stop them.

    A DTLS handshake that completes just after `close()` goes on to start the
    connection's receivers and senders, on a closed connection; their RTCP loops
    then run for the life of the process and hold the connection, its tracks and
    whoever listens to them in memory (and the next transceiver's ICE start
    raises "RTCIceTransport is closed" as a task exception nobody retrieves).
    """
    found = []
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if (
            getattr(coro, "__qualname__", "") == _CONNECT_QUALNAME
            and frame is not None
            and frame.f_locals.get("self") is pc
        ):
            found.append(task)
    return found
