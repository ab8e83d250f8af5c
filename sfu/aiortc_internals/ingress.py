"""A DTLS transport's incoming datagrams read in batches, its SRTP media unprotected natively.

aiortc reads one datagram per event-loop turn (asyncio's reader), lets aioice
try to parse it as STUN, queues it (`asyncio.Queue`), and the DTLS
transport's task takes it off the queue, unprotects it with pylibsrtp,
parses it and awaits the receiver's handler: several coroutines and a task
switch per RTP packet. `BatchReader` replaces asyncio's reader on the
transport's sockets: one `receive` call (recvmmsg + SRTP unprotect in C,
`sfu.native`) per readiness, then for each SRTP RTP packet from the nominated
pair's remote address exactly what `RTCDtlsTransport._handle_rtp_data` does
(parse, route, the receiver's handler), run to completion on the spot. Every
other datagram (STUN, DTLS, SRTCP, any other source) goes to aioice's
`datagram_received` as before, so consent, the foreign-datagram guard, DTLS
and RTCP are unchanged.
"""

from __future__ import annotations

import asyncio
import asyncio.selector_events
import logging
import weakref
from collections.abc import Callable, Coroutine
from typing import Any

from aiortc import RTCDtlsTransport
from aiortc.clock import current_ms
from aiortc.rtcdtlstransport import State
from aiortc.rtp import RtpPacket

logger = logging.getLogger(__name__)

Receive = Callable[[int, Any, "str | None", int, int], list[Any]]
"""`sfu.native._fanout.receive(fd, session, host, port, max)`."""
SessionFor = Callable[[RTCDtlsTransport], Any]
"""The transport's native inbound session (None: not keyed; the Python path then)."""

BATCH = 32


_finishing: set[asyncio.Task[None]] = set()


def run_now(coro: Coroutine[Any, Any, Any]) -> None:
    """Run a coroutine now; if it suspends (it rarely does), a task finishes it."""
    try:
        yielded = coro.send(None)
    except StopIteration:
        return
    task = asyncio.ensure_future(_finish(coro, yielded))
    _finishing.add(task)
    task.add_done_callback(_finishing.discard)


async def _finish(coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
    """Drive `coro` on from where `run_now` left it (waiting on `yielded`)."""
    while True:
        if yielded is None:
            await asyncio.sleep(0)
        else:
            try:
                await yielded
            except BaseException:  # the coroutine gets the outcome below
                pass
        try:
            yielded = coro.send(None)
        except StopIteration:
            return


def _tag_length(profile: int) -> int:
    """SRTP authentication tag bytes of a libsrtp profile (for the transport's byte count)."""
    return 4 if profile == 2 else 16 if profile in (7, 8) else 10


class BatchReader:
    """Reads one ICE socket of a DTLS transport in batches (see the module docstring)."""

    def __init__(
        self,
        dtls: RTCDtlsTransport,
        protocol: Any,
        fd: int,
        receive: Receive,
        session_for: SessionFor,
    ) -> None:
        # Weakly: readers are kept per transport in a WeakKeyDictionary (sfu.native), and
        # a strong reference from the value would keep the transport, its connection
        # and everything on it alive after the person left.
        self._dtls = weakref.ref(dtls)
        self._protocol = protocol
        self._fd = fd
        self._receive = receive
        self._session_for = session_for
        self._connection = dtls.transport._connection
        self.batches = 0
        self.fast = 0
        """RTP packets that took the native path."""

    def read_ready(self) -> None:
        """The socket is readable: one batch."""
        protocol = self._protocol
        if protocol.transport is None:
            return  # closed: the transport's close removed this reader
        dtls = self._dtls()
        if dtls is None:  # the connection is gone with its socket still open: stop reading
            asyncio.get_running_loop()._remove_reader(self._fd)  # type: ignore[attr-defined]
            return
        session = None
        host = None
        port = 0
        if dtls._state is State.CONNECTED:
            pair = self._connection._nominated.get(1)
            if pair is not None and pair.protocol is protocol:
                session = self._session_for(dtls)
                host, port = str(pair.remote_addr[0]), int(pair.remote_addr[1])
        try:
            batch = self._receive(self._fd, session, host, port, BATCH)
        except OSError as exc:
            protocol.error_received(exc)
            return
        self.batches += 1
        fast = 0
        arrival_ms = tag = 0
        for item in batch:
            try:
                if item.__class__ is bytes:
                    if not fast:
                        arrival_ms = current_ms()
                        tag = _tag_length(getattr(session, "profile", 0))
                    fast += 1
                    self._handle_rtp(dtls, item, arrival_ms, tag)
                else:
                    protocol.datagram_received(item[0], item[1])
            except Exception:
                logger.exception("incoming datagram handling failed")
        self.fast += fast

    def _handle_rtp(self, dtls: RTCDtlsTransport, data: bytes, arrival_ms: int, tag: int) -> None:
        # RTCDtlsTransport._recv_next's counters, then its _handle_rtp_data.
        dtls._RTCDtlsTransport__rx_bytes += len(data) + tag  # type: ignore[attr-defined]
        dtls._RTCDtlsTransport__rx_packets += 1  # type: ignore[attr-defined]
        try:
            packet = RtpPacket.parse(data, dtls._rtp_header_extensions_map)
        except ValueError:
            return
        receiver = dtls._rtp_router.route_rtp(packet)
        if receiver is not None:
            run_now(receiver._handle_rtp_packet(packet, arrival_time_ms=arrival_ms))


def install(dtls: RTCDtlsTransport, receive: Receive, session_for: SessionFor) -> list[BatchReader]:
    """Put a `BatchReader` on every socket of `dtls`'s ICE connection (none if it cannot)."""
    loop = asyncio.get_running_loop()
    if not isinstance(loop, asyncio.selector_events.BaseSelectorEventLoop):
        return []  # not a selector loop: asyncio's reader stays
    readers = []
    for protocol in list(dtls.transport._connection._protocols):
        transport = protocol.transport
        if transport is None or transport.is_closing():
            continue
        sock = transport.get_extra_info("socket")
        if sock is None:
            continue
        reader = BatchReader(dtls, protocol, sock.fileno(), receive, session_for)
        # Replaces asyncio's own reader of this fd (the transport's close removes ours).
        loop._add_reader(sock.fileno(), reader.read_ready)  # type: ignore[attr-defined]
        readers.append(reader)
    return readers


def on_connected(dtls: RTCDtlsTransport, callback: Callable[[], None]) -> None:
    """Call `callback` once `dtls` is connected (now if it is)."""
    if dtls._state is State.CONNECTED:
        callback()
        return

    def changed() -> None:
        if dtls._state is State.CONNECTED:
            dtls.remove_listener("statechange", changed)
            callback()
        elif dtls._state in (State.CLOSED, State.FAILED):
            dtls.remove_listener("statechange", changed)

    dtls.on("statechange", changed)
