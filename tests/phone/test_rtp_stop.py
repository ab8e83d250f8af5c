"""The end of a call stops pyVoIP's RTP threads before it closes their socket."""

from __future__ import annotations

import asyncio
import socket
import threading
import warnings
from typing import Any

from imr_live.phone.gateway import GatewayConfig, PhoneGateway, load_pyvoip
from tests.phone.test_phone_gateway import free_udp_ports


def test_a_call_that_ends_while_a_packet_is_on_its_way_out_ends_quietly() -> None:
    # The regression (CI, test_a_lead_calls_a_clients_phone_who_joins_and_talks_with_the_room):
    # pyVoIP's stop() closed the socket while its sending thread was between its running
    # check and its send; that thread failed on the closed socket ("RTP Packet failed to
    # send!"), a warning raised in a thread nobody joins. Here the thread is held in
    # that window while the call ends.
    load_pyvoip()
    from pyVoIP.RTP import PayloadType, RTPClient, TransmitType

    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    sink.settimeout(5)
    client = RTPClient(
        {0: PayloadType.PCMU}, "127.0.0.1", free_udp_ports(1), "127.0.0.1", sink.getsockname()[1],
        TransmitType.SENDRECV,
    )  # fmt: skip
    in_window, go_on = threading.Event(), threading.Event()
    encode = client.encode_packet

    def held(payload: bytes) -> bytes:
        if not in_window.is_set():
            in_window.set()
            go_on.wait(5)
        return encode(payload)

    client.encode_packet = held  # type: ignore[method-assign]
    failures: list[Any] = []
    hook = threading.excepthook
    threading.excepthook = failures.append
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            client.start()
            assert in_window.wait(5), "the sending thread got to its first packet"
            stopping = threading.Thread(target=client.stop)
            stopping.start()
            stopping.join(0.2)
            go_on.set()  # the packet goes on its way while the call ends
            stopping.join(5)
            assert not stopping.is_alive()
        assert sink.recv(2048)[:1] == b"\x80", "the packet in flight was sent"
        for thread in threading.enumerate():
            if thread.name.startswith("RTP "):
                thread.join(5)
    finally:
        threading.excepthook = hook
        sink.close()
    assert failures == [], [f.exc_value for f in failures]
    assert client.sin.fileno() == -1, "the socket is closed"


async def test_the_gateway_stops_even_when_a_call_misses_its_first_cancel() -> None:
    # On Python 3.11 a cancel that lands as an awaited ``wait_for`` finishes is lost (the
    # call's socket.io requests to the server use one): the gateway waited for that call
    # for good, and a test's clean-up hung until its 300 s timeout (CI, the dial-out test).
    gateway = PhoneGateway(GatewayConfig())
    cancels = 0

    async def call_that_misses_a_cancel() -> None:
        nonlocal cancels
        while True:
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                cancels += 1
                if cancels > 1:
                    raise

    task = asyncio.create_task(call_that_misses_a_cancel())
    gateway.calls.add(task)
    await asyncio.sleep(0)
    async with asyncio.timeout(10):
        await gateway.stop()
    assert task.cancelled() and cancels == 2
