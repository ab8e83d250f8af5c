"""The outbound SRTP keys of an `RTCDtlsTransport`, its UDP route and a sender's report fields.

What the native fan-out (`sfu.native`) needs to own a subscriber leg's
outbound RTP: the same master key and salt aiortc's `_setup_srtp` derives
(exported again from the DTLS connection, RFC 5764 section 4.2), the
nominated ICE pair's socket and address, and the dict a parked sender builds
its RTCP sender reports from.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

import pylibsrtp
from aiortc import RTCDtlsTransport, RTCRtpSender
from aiortc.rtcdtlstransport import SRTP_PROFILES, State

CONNECTED = State.CONNECTED
STATE_ATTRIBUTE = "_state"
"""The transport attribute the native sink compares with `CONNECTED` before each send."""

REPORT_KEYS = (
    "_RTCRtpSender__ntp_timestamp",
    "_RTCRtpSender__rtp_timestamp",
    "_RTCRtpSender__packet_count",
    "_RTCRtpSender__octet_count",
)
"""The sender-report fields, in the order `SenderCounters.update` takes them."""


class OutboundKeying(NamedTuple):
    """A transport's transmit SRTP profile (libsrtp's number) and master key + salt."""

    profile: int
    key: bytes


def outbound_keying(dtls: RTCDtlsTransport) -> OutboundKeying | None:
    """The transmit keying material aiortc used for `dtls._tx_srtp` (None before DTLS is up)."""
    if dtls._state != State.CONNECTED or dtls._ssl is None or dtls._tx_srtp is None:
        return None
    return _keying(dtls, transmit=True)


def inbound_keying(dtls: RTCDtlsTransport) -> OutboundKeying | None:
    """The receive keying material aiortc used for `dtls._rx_srtp` (None before DTLS is up)."""
    if dtls._state != State.CONNECTED or dtls._ssl is None or dtls._rx_srtp is None:
        return None
    return _keying(dtls, transmit=False)


def receive_session(dtls: RTCDtlsTransport) -> object:
    """aiortc's own receive session object (identity tells when it was replaced)."""
    session = dtls._rx_srtp
    return session.aiortc_session if isinstance(session, SharedReceive) else session


class Unprotect(Protocol):
    def unprotect(self, data: bytes) -> bytes: ...


class SharedReceive:
    """aiortc's receive session with its RTP unprotected by the native one: one replay window.

    Media from the nominated pair is unprotected in C (`sfu.native`); whatever
    else reaches aiortc's path (another socket of the transport, a datagram
    handed up) was checked against aiortc's own session, whose replay window
    never saw the media and so took any replayed packet as new. SRTCP stays
    with aiortc's session (the native one never unprotects it).
    """

    def __init__(self, aiortc_session: Any, native: Unprotect) -> None:
        self.aiortc_session = aiortc_session
        self._native = native

    def unprotect(self, data: bytes) -> bytes:
        try:
            return self._native.unprotect(data)
        except ValueError as exc:  # aiortc drops what raises pylibsrtp.Error, quietly
            raise pylibsrtp.Error(str(exc)) from None

    def unprotect_rtcp(self, data: bytes) -> bytes:
        result: bytes = self.aiortc_session.unprotect_rtcp(data)
        return result


def share_receive(dtls: RTCDtlsTransport, native: Unprotect) -> None:
    """Make aiortc's path of `dtls` unprotect RTP with `native` (see `SharedReceive`)."""
    dtls._rx_srtp = SharedReceive(receive_session(dtls), native)  # type: ignore[assignment]


def _keying(dtls: RTCDtlsTransport, *, transmit: bool) -> OutboundKeying | None:
    """`_setup_srtp`'s key and salt: the server transmits with half 1, the client with 0."""
    assert dtls._ssl is not None
    selected = dtls._ssl.get_selected_srtp_profile()
    for profile in SRTP_PROFILES:
        if profile.openssl_profile == selected:
            break
    else:
        return None
    view = dtls._ssl.export_keying_material(
        b"EXTRACTOR-dtls_srtp", 2 * (profile.key_length + profile.salt_length)
    )
    index = 1 if (dtls._role == "server") == transmit else 0
    return OutboundKeying(profile.libsrtp_profile, profile.get_key_and_salt(view, index))


def transmit_session(dtls: RTCDtlsTransport) -> object:
    """aiortc's own transmit session object (identity tells when it was replaced)."""
    return dtls._tx_srtp


class Route(NamedTuple):
    """Where a transport's datagrams go now: the pair, its socket and the remote address."""

    nominated: dict[int, Any]
    pair: Any
    sock: Any
    host: str
    port: int


def current_route(dtls: RTCDtlsTransport) -> Route | None:
    """The nominated ICE pair of `dtls` (component 1), or None while there is none."""
    nominated = dtls.transport._connection._nominated
    pair = nominated.get(1)
    if pair is None or pair.protocol.transport is None:
        return None
    sock = pair.protocol.transport.get_extra_info("socket")
    if sock is None:
        return None
    host, port = pair.remote_addr[:2]
    return Route(nominated, pair, sock, str(host), int(port))


def sender_report_fields(sender: RTCRtpSender) -> dict[str, Any]:
    """The dict holding a sender's report fields (`REPORT_KEYS`)."""
    fields: dict[str, Any] = sender.__dict__
    return fields
