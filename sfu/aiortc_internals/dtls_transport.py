"""A subscriber leg's way out: SRTP protection of `RTCDtlsTransport`, UDP of aioice's pair."""

from __future__ import annotations

from aiortc.rtcdtlstransport import RTCDtlsTransport, State


class DatagramSink:
    """Sends one subscriber leg's RTP synchronously: SRTP protect, then UDP.

    Bypasses aiortc's async send chain (three awaits per packet). The
    nominated ICE pair is looked up on every packet so that an ICE restart,
    which replaces it, needs no re-hooking.
    """

    __slots__ = ("_dtls",)

    def __init__(self, dtls: RTCDtlsTransport) -> None:
        self._dtls = dtls

    def ready(self) -> bool:
        """Whether DTLS is up and ICE has a nominated pair."""
        dtls = self._dtls
        return dtls._state == State.CONNECTED and bool(dtls.transport._connection._nominated)

    def send(self, data: bytes) -> bool:
        """Protect and send one RTP packet; False when the leg cannot send yet."""
        dtls = self._dtls
        if dtls._state != State.CONNECTED:
            return False
        pair = dtls.transport._connection._nominated.get(1)
        if pair is None or pair.protocol.transport is None:
            return False
        pair.protocol.transport.sendto(dtls._tx_srtp.protect(data), pair.remote_addr)
        return True
