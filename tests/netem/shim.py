"""A user-space UDP shim: loss, delay, jitter and reordering between two UDP endpoints.

The kernel here has no netem, so impairment happens in a relay. One `Flow`
stands between an ICE peer and the SFU: the peer is told the SFU is at the
flow's `inner` socket, the SFU is told the peer is at its `outer` socket, and
every datagram crossing is dropped, delayed or held back per direction.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

Address = tuple[str, int]


@dataclass
class Impairment:
    """What one direction of a link does to datagrams."""

    loss: float = 0.0
    """Share of datagrams dropped (independently)."""
    delay_ms: float = 0.0
    """One-way delay added to every datagram."""
    jitter_ms: float = 0.0
    """Extra delay, uniform in [0, jitter_ms]; datagrams may overtake each other."""
    reorder: float = 0.0
    """Share of datagrams held back a further `reorder_ms`, so later ones overtake them."""
    reorder_ms: float = 20.0

    def fate(self, rng: random.Random) -> float | None:
        """Seconds to hold one datagram, or None to drop it."""
        if self.loss and rng.random() < self.loss:
            return None
        hold = self.delay_ms + (rng.uniform(0, self.jitter_ms) if self.jitter_ms else 0.0)
        if self.reorder and rng.random() < self.reorder:
            hold += self.reorder_ms
        return hold / 1000


@dataclass
class Counters:
    """Datagrams seen per direction."""

    up_in: int = 0
    up_dropped: int = 0
    down_in: int = 0
    down_dropped: int = 0
    down_rtp: dict[int, int] = field(default_factory=dict)
    """RTP packets towards the peer per payload type (SRTP leaves the header readable)."""


class _Side(asyncio.DatagramProtocol):
    def __init__(self, on_datagram: object) -> None:
        self.on_datagram = on_datagram
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: Address) -> None:
        self.on_datagram(data, addr)  # type: ignore[operator]


@dataclass
class Flow:
    """One relayed UDP 5-tuple pair: peer <-> inner | outer <-> sfu."""

    shim: UdpShim
    inner: _Side
    outer: _Side
    peer: Address | None = None
    sfu: Address | None = None
    counters: Counters = field(default_factory=Counters)

    @property
    def inner_address(self) -> Address:
        assert self.inner.transport is not None
        addr: Address = self.inner.transport.get_extra_info("sockname")[:2]
        return addr

    @property
    def outer_address(self) -> Address:
        assert self.outer.transport is not None
        addr: Address = self.outer.transport.get_extra_info("sockname")[:2]
        return addr

    def from_peer(self, data: bytes, addr: Address) -> None:
        self.peer = addr
        self.counters.up_in += 1
        if self.sfu is None or self.outer.transport is None:
            return
        if not self.shim.forward(self.outer.transport, data, self.sfu, self.shim.up):
            self.counters.up_dropped += 1

    def from_sfu(self, data: bytes, addr: Address) -> None:
        self.sfu = addr
        self.counters.down_in += 1
        if len(data) > 12 and 127 < data[0] < 192 and not 191 < data[1] < 224:
            pt = data[1] & 0x7F
            self.counters.down_rtp[pt] = self.counters.down_rtp.get(pt, 0) + 1
        if self.peer is None or self.inner.transport is None:
            return
        if not self.shim.forward(self.inner.transport, data, self.peer, self.shim.down):
            self.counters.down_dropped += 1

    def close(self) -> None:
        for side in (self.inner, self.outer):
            if side.transport is not None:
                side.transport.close()


class UdpShim:
    """Relays UDP flows with an `Impairment` upstream (peer to SFU) and downstream."""

    def __init__(self, bind_address: str, seed: int = 1) -> None:
        self.bind_address = bind_address
        self.up = Impairment()
        self.down = Impairment()
        self.flows: list[Flow] = []
        self._rng = random.Random(seed)

    async def open_flow(self, *, peer: Address | None = None, sfu: Address | None = None) -> Flow:
        """A new flow; either end may be learned later from the first datagram it sends."""
        loop = asyncio.get_running_loop()
        inner, outer = _Side(None), _Side(None)
        await loop.create_datagram_endpoint(lambda: inner, local_addr=(self.bind_address, 0))
        await loop.create_datagram_endpoint(lambda: outer, local_addr=(self.bind_address, 0))
        flow = Flow(self, inner, outer, peer=peer, sfu=sfu)
        inner.on_datagram = flow.from_peer
        outer.on_datagram = flow.from_sfu
        self.flows.append(flow)
        return flow

    def forward(
        self, via: asyncio.DatagramTransport, data: bytes, to: Address, impairment: Impairment
    ) -> bool:
        """Send `data` to `to` after the impairment's hold; False if it was dropped."""
        hold = impairment.fate(self._rng)
        if hold is None:
            return False
        if hold <= 0:
            via.sendto(data, to)
        else:
            asyncio.get_running_loop().call_later(hold, _send_if_open, via, data, to)
        return True

    def close(self) -> None:
        for flow in self.flows:
            flow.close()
        self.flows.clear()


def _send_if_open(via: asyncio.DatagramTransport, data: bytes, to: Address) -> None:
    if not via.is_closing():
        via.sendto(data, to)
