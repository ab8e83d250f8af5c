"""ICE gathering never leaves a socket open behind a connection that closed."""

from __future__ import annotations

import asyncio
from typing import Any

import aioice
import pytest

from sfu.aiortc_internals.ice import close_interrupted_gathering, set_ice_host_addresses
from sfu.participant import close_pc
from tests.sfu.conftest import client_pc, eventually


async def bound_while_closing(cancel: bool) -> list[asyncio.DatagramTransport]:
    """Gather on three host addresses and close the connection once the first socket is
    bound (cancelling the gathering first if `cancel`); the sockets gathering bound."""
    set_ice_host_addresses(["127.0.0.1", "127.0.0.1", "127.0.0.1"])  # restored per test
    loop = asyncio.get_running_loop()
    bound: list[asyncio.DatagramTransport] = []
    bind = loop.create_datagram_endpoint

    async def recording(*args: Any, **kwargs: Any) -> Any:
        transport, protocol = await bind(*args, **kwargs)
        bound.append(transport)
        return transport, protocol

    loop.create_datagram_endpoint = recording  # type: ignore[method-assign]
    try:
        connection = aioice.Connection(ice_controlling=True, components=1)
        gathering = asyncio.ensure_future(connection.gather_candidates())
        while not bound:
            await asyncio.sleep(0)
        if cancel:
            gathering.cancel()  # the person left while their offer was being made
        await connection.close()
        await asyncio.gather(gathering, return_exceptions=True)
        await asyncio.sleep(0.2)  # anything still gathering binds its sockets (no assertion)
    finally:
        del loop.create_datagram_endpoint
    return bound


async def test_a_connection_closed_while_it_gathers_closes_every_socket_it_bound() -> None:
    # Seen in CI: the SFU's subscribing offer for someone who was leaving bound a loopback
    # socket that stayed open until a later test's garbage collection warned about it.
    close_interrupted_gathering()
    for cancel in (False, True):
        bound = await bound_while_closing(cancel)
        assert bound, "the gathering bound a socket before the close"
        await eventually(
            lambda bound=bound: all(t.is_closing() for t in bound),  # type: ignore[misc]
            5,
            f"every socket closed (cancelled: {cancel})",
        )


async def test_a_close_cut_short_still_closes_the_connections_sockets(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """aiortc stops the ICE transports last: a close that hangs on a sender (seen under
    load) and is cut short by the SFU's time limit left every socket of it open."""
    pc = client_pc()
    transceiver = pc.addTransceiver("audio", direction="sendonly")
    await pc.setLocalDescription(await pc.createOffer())
    sockets = [
        protocol.transport
        for protocol in transceiver.receiver.transport.transport._connection._protocols
    ]
    assert sockets and not any(s.is_closing() for s in sockets)

    async def hangs() -> None:
        await asyncio.sleep(3600)

    transceiver.stop = hangs  # type: ignore[method-assign]
    await close_pc(pc, 0.2, "ann")
    assert all(s.is_closing() for s in sockets), "every socket closed although close hung"
    assert "closing ann's peer connection timed out" in caplog.text
