"""The egress fan-out: native (C, `_fanout.c`) when built, pure Python otherwise.

`fan_out(packet, legs[, layer])` is the one seam in the hot path:
`Forwarder.on_packet` calls it with each ingress packet and its legs (with the
packet's simulcast layer when the publisher sends layers). The Python version
calls `DownTrack.write` per leg. The native version does the same rewrite,
history and sender-report bookkeeping in C for every leg that has started on
that layer, SRTP-protects with a native libsrtp session and sends with
`sendmmsg`; a leg that has not started (waiting for its keyframe) or is
switching layers (waiting for the new layer's keyframe) still goes through
`DownTrack.write`, so the Python code alone decides when a leg starts or
switches.

On the native path each leg's `_sink` is a native `Sink`: the leg's outbound
RTP (forwarded packets and NACK answers alike) is protected only by the native
session of its DTLS transport, keyed with the same material aiortc derived.
aiortc's own session keeps protecting RTCP (sender reports, BYE); it never
protects RTP for a leg's SSRC, because the leg's sender is parked.

The native path is chosen at import when the extension was built; the
environment variable ``IMR_SFU_NATIVE=0`` forces the Python one.
"""

from __future__ import annotations

import logging
import os
import weakref
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from sfu.aiortc_internals import ingress, rtp_sender, srtp
from sfu.aiortc_internals.dtls_transport import DatagramSink

if TYPE_CHECKING:
    from sfu.aiortc_internals.rtp import RtpPacket
    from sfu.downtrack import DownTrack

logger = logging.getLogger(__name__)


class FanOut(Protocol):
    """The per-leg loop's shape (``layer``: a simulcast layer's packet; None: no simulcast)."""

    def __call__(
        self, packet: RtpPacket, legs: Sequence[DownTrack], layer: int | None = None
    ) -> Any: ...


try:
    from sfu.native import _fanout
except ImportError:  # not built (no compiler or no libsrtp2 headers): the Python path
    _fanout = None  # type: ignore[assignment]

AVAILABLE = _fanout is not None
"""Whether the extension was built and imports."""


def python_fan_out(packet: RtpPacket, legs: Sequence[DownTrack], layer: int | None = None) -> None:
    """The pure-Python per-leg loop (``layer``: the simulcast layer the packet belongs to)."""
    for leg in legs:
        try:
            leg.write(packet, layer or 0)
        except Exception:
            logger.exception(
                "leg %s <- %s failed on %r", leg.subscriber_id, leg.publisher_id, packet
            )


def _on_error(leg: DownTrack, packet: RtpPacket, exc: BaseException) -> None:
    logger.error(
        "leg %s <- %s failed on %r", leg.subscriber_id, leg.publisher_id, packet, exc_info=exc
    )


# One native session per DTLS transport (shared by its bundled legs), with the
# aiortc session it was keyed alongside (a replaced one means new keys).
_sessions: weakref.WeakKeyDictionary[Any, tuple[object, Any]] = weakref.WeakKeyDictionary()


def _session_for(dtls: Any) -> Any:
    """The native outbound session of `dtls` (None before DTLS is up); ValueError if unsupported."""
    current = srtp.transmit_session(dtls)
    cached = _sessions.get(dtls)
    if cached is not None and cached[0] is current:
        return cached[1]
    keying = srtp.outbound_keying(dtls)
    if keying is None:
        return None
    session = _fanout.Session(keying.profile, keying.key)
    _sessions[dtls] = (current, session)
    return session


# Legs whose transport negotiated a profile this libsrtp cannot do: aiortc's session sends.
_refused: weakref.WeakSet[Any] = weakref.WeakSet()


def adopt(leg: DownTrack) -> None:
    """Give a leg a native sink before it sends anything (no-op if it has one).

    Only aiortc's own sink is replaced: a leg whose sink was wrapped (a lossy link in
    a test, a pacer) keeps it and is written by ``DownTrack.write``.
    """
    if isinstance(leg._sink, _fanout.Sink) or leg in _refused:
        return
    if not isinstance(leg._sink, DatagramSink):
        return
    sender = leg.transceiver.sender
    dtls = rtp_sender.sender_dtls(sender)

    def refresh(sink: Any) -> bool:
        try:
            session = _session_for(dtls)
        except ValueError:
            # A profile this libsrtp cannot do: the leg goes back to aiortc's session.
            logger.warning("leg %s: native SRTP unavailable, using aiortc's", leg.subscriber_id)
            leg._sink = DatagramSink(dtls)
            _refused.add(leg)
            return False
        route = srtp.current_route(dtls)
        if session is None or route is None:
            return False
        sink.set_route(session, route.nominated, route.pair, route.sock, route.host, route.port)
        return True

    sink = _fanout.Sink(dtls, srtp.STATE_ATTRIBUTE, srtp.CONNECTED, refresh)
    sink.set_report(srtp.sender_report_fields(sender), srtp.REPORT_KEYS)
    leg._sink = sink  # type: ignore[assignment]  # same ready()/send(data) shape


def native_fan_out(packet: RtpPacket, legs: Sequence[DownTrack], layer: int | None = None) -> None:
    """The C per-leg loop (see `_fanout.c`); ``layer``: the simulcast layer of the packet.

    A simulcast leg forwarding ``layer`` is written in C like any other; a leg
    waiting to switch to it goes through ``DownTrack.write`` (which decides on
    the keyframe and carries the numbering over); the rest skip the packet.
    """
    if layer is None:
        _fanout.fan_out(packet, legs)
    else:
        _fanout.fan_out(packet, legs, layer)


if AVAILABLE:
    _fanout.configure(adopt, _on_error)
    Session = _fanout.Session
    Sink = _fanout.Sink

NATIVE = AVAILABLE and os.environ.get("IMR_SFU_NATIVE", "1") != "0"
"""Whether the native path is in use."""

NATIVE_INGRESS = AVAILABLE and os.environ.get("IMR_SFU_NATIVE_INGRESS", "1") != "0"
"""Whether publishers' media is read natively while `NATIVE` (batched, unprotected in C)."""

# One native inbound session per DTLS transport, with the aiortc session it was keyed alongside.
_inbound: weakref.WeakKeyDictionary[Any, tuple[object, Any]] = weakref.WeakKeyDictionary()
# Transports watched for native ingress, with their batch readers once connected.
_watched: weakref.WeakKeyDictionary[Any, list[ingress.BatchReader]] = weakref.WeakKeyDictionary()


def _inbound_session(dtls: Any) -> Any:
    """The native receive session of `dtls` (None: not keyed, or a profile libsrtp lacks)."""
    current = srtp.receive_session(dtls)
    cached = _inbound.get(dtls)
    if cached is not None and cached[0] is current:
        return cached[1]
    keying = srtp.inbound_keying(dtls)
    session = None
    if keying is not None:
        try:
            session = _fanout.Session(keying.profile, keying.key, inbound=True)
        except ValueError:
            logger.warning("native SRTP unavailable for a publisher's media, using aiortc's")
    _inbound[dtls] = (current, session)
    if session is not None:
        srtp.share_receive(dtls, session)  # one replay window, whichever path reads a packet
    return session


def watch_ingress(dtls: Any) -> None:
    """Read `dtls`'s media natively once it is connected (no-op on the Python path; idempotent).

    From then on its SRTP RTP from the nominated pair is read in batches and
    unprotected in C (`ingress.BatchReader`); STUN, DTLS, RTCP and anything
    else still go through aioice and aiortc.
    """
    if not (NATIVE and NATIVE_INGRESS) or dtls in _watched:
        return
    readers = _watched[dtls] = []

    def connected() -> None:
        if NATIVE and NATIVE_INGRESS:
            _inbound_session(dtls)  # keyed before the first packet the reader takes
            readers.extend(ingress.install(dtls, _fanout.receive, _inbound_session))

    ingress.on_connected(dtls, connected)


def ingress_packets(dtls: Any) -> int:
    """RTP packets of `dtls` that took the native ingress path so far."""
    return sum(reader.fast for reader in _watched.get(dtls, ()))


fan_out: FanOut = native_fan_out if NATIVE else python_fan_out


def use(path: str) -> None:
    """Switch the fan-out path ("native" or "python") for this process (tests, benchmarks)."""
    global NATIVE, fan_out
    if path == "native" and not AVAILABLE:
        raise RuntimeError("the native fan-out extension is not built")
    if path not in ("native", "python"):
        raise ValueError(path)
    NATIVE = path == "native"
    fan_out = native_fan_out if NATIVE else python_fan_out
