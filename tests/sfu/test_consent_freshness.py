"""Consent checks survive answers that take longer than half a second (issue 12, media inputs).

aioice 0.13 sends each consent check once, counts it missed when no answer is read
within 0.5 s, and closes the connection after six misses in a row. A flood of
datagrams at the SFU's port puts the answer behind the flood in the socket's queue
(read one datagram per loop turn), so it is read too late: the bench's 10^6
datagrams tore down 10 of 12 transports. Here the answers are late on purpose: the
participants' consent answers are held back 0.8 s, as a flood or a long link would.
Consent checks run every 0.5 s instead of 5 s so that six misses take 3 s, not 30.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aioice.ice
import pytest
from aiortc import RTCPeerConnection

from tests.sfu.conftest import Harness, Peer, eventually
from tests.sfu.test_media_fuzz import (
    client_pcs,
    dtls_states,
    frames_seen,
    nominated_socket,
    sfu_pcs,
)

ANSWER_DELAY_S = 0.8
BINDING_SUCCESS = b"\x01\x01"


def hold_back_consent_answers(pcs: list[RTCPeerConnection], delay: float) -> Callable[[], None]:
    """Send these connections' STUN binding answers ``delay`` seconds late; returns undo."""
    loop = asyncio.get_running_loop()
    undo = []
    for pc in pcs:
        transport, _ = nominated_socket(pc)
        original = transport.sendto

        def sendto(data: bytes, addr: Any = None, _orig: Any = original) -> None:
            if data[:2] == BINDING_SUCCESS:
                loop.call_later(delay, _orig, data, addr)
            else:
                _orig(data, addr)

        transport.sendto = sendto  # type: ignore[method-assign]
        undo.append((transport, original))

    def restore() -> None:
        for transport, original in undo:
            transport.sendto = original  # type: ignore[method-assign]

    return restore


async def test_late_consent_answers_do_not_tear_down_the_connections(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.5)
    harness = Harness(tmp_path)
    try:
        peers: list[Peer] = [
            await harness.joined(name, colour) for name, colour in (("ann", "red"), ("bob", "blue"))
        ]
        await eventually(lambda: all(n >= 5 for n in frames_seen(peers).values()))
        on_sfu = sfu_pcs(harness)
        clients = [pc for p in peers for pc in client_pcs(p)]
        pcs = [*on_sfu, *clients]
        healthy = dtls_states(pcs)
        assert healthy == Counter({"connected": len(pcs)})
        restore = hold_back_consent_answers(clients, ANSWER_DELAY_S)
        try:
            # Twelve consent intervals: twice what six misses in a row take.
            end = time.monotonic() + 12 * 0.5
            while time.monotonic() < end and dtls_states(pcs) == healthy:
                await asyncio.sleep(0.1)
            assert dtls_states(pcs) == healthy, "a transport was torn down"
            assert [pc.connectionState for pc in pcs] == ["connected"] * len(pcs)
            later = frames_seen(peers)
            await eventually(
                lambda: all(n >= later[pair] + 10 for pair, n in frames_seen(peers).items()),
                what="everyone still decodes everyone",
            )
        finally:
            restore()
    finally:
        await harness.close()
