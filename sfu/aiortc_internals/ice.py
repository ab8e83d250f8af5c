"""aioice's host candidate discovery, datagram guard and consent freshness (process-wide)."""

from __future__ import annotations

import asyncio
import logging
import random
import struct
import time
from collections.abc import Sequence
from typing import Any

import aioice.ice
import aioice.stun

logger = logging.getLogger("sfu.ice")

_ORIGINAL_GET_HOST_ADDRESSES = aioice.ice.get_host_addresses


def set_ice_host_addresses(addresses: Sequence[str] | None) -> None:
    """Make aioice offer exactly `addresses` as host candidates (None: its default).

    aioice skips 127.0.0.1 unless told otherwise; this is process-wide.
    """
    if addresses is None:
        aioice.ice.get_host_addresses = _ORIGINAL_GET_HOST_ADDRESSES
        return
    fixed = list(addresses)

    def host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return list(fixed)

    aioice.ice.get_host_addresses = host_addresses


_ORIGINAL_DATAGRAM_RECEIVED = aioice.ice.StunProtocol.datagram_received


def guard_incoming_datagrams() -> None:
    """Drop the datagrams aioice and aiortc cannot survive, before they parse them (process-wide).

    Anyone who can reach an SFU port can send them, whatever their address: an
    empty datagram reaches ``RTCDtlsTransport._recv_next``, whose ``data[0]``
    raises and closes the whole connection; a STUN message with a short
    attribute raises ``struct.error`` in aioice's parser, a traceback each time.
    DTLS and RTP from an address that is on none of the connection's candidate
    pairs (signalled, or learnt from an authenticated check) are dropped unread:
    aioice would queue them for aiortc whatever their source. Idempotent.
    """

    def datagram_received(self: aioice.ice.StunProtocol, data: bytes | str, addr: Any) -> None:
        if not data:
            return
        if isinstance(data, bytes) and data[0] > 3 and not _known_peer(self, addr):
            # Not STUN (RFC 7983: 0-3) and not from an address ICE knows: dropped
            # before DTLS or SRTP parse it (RFC 8445 7.3: media only on checked pairs).
            _dropped["foreign"] += 1
            return
        try:
            _ORIGINAL_DATAGRAM_RECEIVED(self, data, addr)
        except struct.error:
            logger.debug("dropped a malformed STUN datagram")

    aioice.ice.StunProtocol.datagram_received = datagram_received  # type: ignore[method-assign]


_ORIGINAL_GATHER_CANDIDATES = aioice.ice.Connection.gather_candidates


async def _gather_candidates(self: aioice.ice.Connection) -> None:
    """Gathering that leaves no socket open behind a closed connection.

    aioice 0.13 hands a component's sockets to the connection only once all of
    them are bound. Gathering cancelled between two binds (a person who leaves
    while their subscribing offer is being made), or a connection closed while
    it gathers, left the sockets bound so far open for the life of the process
    (the garbage collector warned about them in a later test). Gathering now
    runs to its end whatever cancels its caller, and the sockets of a
    connection that was closed meanwhile are closed then.
    """
    gathering = asyncio.ensure_future(_ORIGINAL_GATHER_CANDIDATES(self))
    gathering.add_done_callback(lambda task: _close_if_closed(self, task))
    await asyncio.shield(gathering)


def _close_if_closed(connection: aioice.ice.Connection, gathering: asyncio.Future[None]) -> None:
    if not gathering.cancelled() and gathering.exception() is not None:
        logger.debug("ICE gathering failed: %s", gathering.exception())
    if connection._closing:
        for protocol in connection._protocols:
            if protocol.transport is not None:
                protocol.transport.close()
        connection._protocols.clear()


def close_ice_sockets(pc: Any) -> int:
    """Close the UDP sockets of every ICE connection of RTCPeerConnection `pc` at once (for a
    close that did not finish: aiortc stops the ICE transports last, after senders,
    receivers and DTLS, so a close cut short left them open). Returns how many closed."""
    transports = [t.receiver.transport for t in pc.getTransceivers()]
    if pc.sctp is not None:
        transports.append(pc.sctp.transport)
    closed = 0
    for connection in {
        id(d.transport._connection): d.transport._connection for d in transports
    }.values():
        connection._closing = True
        for protocol in connection._protocols:
            if protocol.transport is not None and not protocol.transport.is_closing():
                protocol.transport.close()
                closed += 1
        connection._protocols.clear()
    return closed


def close_interrupted_gathering() -> None:
    """Use ``_gather_candidates`` for every aioice connection (process-wide, idempotent)."""
    aioice.ice.Connection.gather_candidates = _gather_candidates  # type: ignore[method-assign]


_dropped = {"foreign": 0}


def foreign_datagrams_dropped() -> int:
    """DTLS/RTP datagrams dropped in this process because no candidate pair had their source."""
    return _dropped["foreign"]


def _known_peer(protocol: aioice.ice.StunProtocol, addr: Any) -> bool:
    """Whether ``addr`` is the remote end of one of this socket's candidate pairs (or of an
    authenticated check waiting for them)."""
    remote = (addr[0], addr[1])
    connection = protocol.receiver
    pairs = [*connection._nominated.values(), *connection._check_list]
    if any(p.protocol is protocol and p.remote_addr == remote for p in pairs):
        return True
    # An authenticated check that came before this side started its own (aioice keeps
    # it until then): its sender may already send DTLS.
    return any(
        proto is protocol and (a[0], a[1]) == remote for _m, a, proto in connection._early_checks
    )


_ORIGINAL_QUERY_CONSENT = aioice.ice.Connection.query_consent
CONSENT_RETRANSMISSIONS = 2
"""Retries of one consent check (answers taken until 0.5 + 1 + 2 s after it is sent)."""


async def _query_consent(self: aioice.ice.Connection) -> None:
    """Consent freshness as RFC 7675 puts it: consent expires after 30 s without an answer.

    aioice 0.13 sends each check once and gives up on it after 0.5 s, then closes the
    connection after 6 such misses in a row. An answer that takes longer than 0.5 s
    to be read is a miss: on a link with a round trip over 0.5 s, and whenever a flood
    of datagrams at the port stands in the socket's queue ahead of the answer (the
    event loop reads one datagram per socket per turn, so the check's timer fires
    first). Each check here is retransmitted (answers to any try count), and the
    connection closes only when no check was answered for ``CONSENT_FAILURES *
    CONSENT_INTERVAL`` seconds (30 s, aioice's own figures).
    """
    assert self.remote_password is not None  # checks start once connect() has it
    answered = time.monotonic()
    while True:
        interval = aioice.ice.CONSENT_INTERVAL
        await asyncio.sleep(interval * (0.8 + 0.4 * random.random()))
        for pair in list(self._nominated.values()):
            request = self.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request,
                    pair.remote_addr,
                    integrity_key=self.remote_password.encode("utf8"),
                    retransmissions=CONSENT_RETRANSMISSIONS,
                )
                answered = time.monotonic()
            except aioice.stun.TransactionError:
                logger.debug("a consent check went unanswered")
        if time.monotonic() - answered > aioice.ice.CONSENT_FAILURES * interval:
            logger.info(
                "consent to send expired: no answer for %.0f s", time.monotonic() - answered
            )
            self._query_consent_task = None
            await self.close()
            return


def patch_consent_freshness(enabled: bool = True) -> None:
    """Use ``_query_consent`` for every aioice connection started from now (process-wide)."""
    aioice.ice.Connection.query_consent = (  # type: ignore[method-assign]
        _query_consent if enabled else _ORIGINAL_QUERY_CONSENT
    )
