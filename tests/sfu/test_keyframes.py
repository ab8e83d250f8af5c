"""Keyframe requests are merged, repeated when unanswered, and never dropped."""

from __future__ import annotations

import asyncio
import random

import pytest

from sfu.keyframes import KeyframeRequester
from sfu.payloads import h264_keyframe_start, vp8_keyframe_start
from tests.sfu.conftest import eventually


async def test_requests_in_one_window_become_one_pli_and_late_ones_are_not_dropped() -> None:
    sent: list[float] = []

    async def send() -> None:
        sent.append(asyncio.get_running_loop().time())

    requester = KeyframeRequester(send, window_s=0.2, retry_s=5.0, name="t")
    requester.start()
    try:
        for _ in range(5):
            requester.request()
        await eventually(lambda: len(sent) == 1, what="the first request at once")
        requester.on_keyframe()
        for _ in range(5):
            requester.request()
        await eventually(lambda: len(sent) == 2, what="one merged request")
        assert sent[1] - sent[0] >= 0.2 - 0.01
        requester.on_keyframe()
        await asyncio.sleep(0.3)
        assert len(sent) == 2
    finally:
        await requester.close()
    assert not requester.running


async def test_a_send_that_crashes_is_logged_and_later_requests_still_go_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent: list[int] = []

    async def send() -> None:
        if not sent:
            sent.append(0)
            raise RuntimeError("transport gone odd")
        sent.append(1)

    requester = KeyframeRequester(send, window_s=0.01, retry_s=5.0, name="t")
    requester.start()
    try:
        requester.request()
        await eventually(lambda: sum(sent) >= 1, what="a request after the crash")
    finally:
        await requester.close()
    assert any(r.getMessage().startswith("keyframes:t failed") for r in caplog.records)


async def test_request_is_repeated_until_a_keyframe_arrives() -> None:
    sent: list[int] = []

    async def send() -> None:
        sent.append(1)

    requester = KeyframeRequester(send, window_s=0.05, retry_s=0.1, name="t")
    requester.start()
    try:
        requester.request()
        await eventually(lambda: len(sent) >= 3, what="repeated requests")
        requester.on_keyframe()
        settled = len(sent)
        await asyncio.sleep(0.3)
        assert len(sent) <= settled + 1
    finally:
        await requester.close()


def test_vp8_keyframe_start_reads_the_payload_descriptor() -> None:
    # X=1, S=1, PID=0; I=1 with a 15-bit picture id; then a keyframe tag (P=0).
    assert vp8_keyframe_start(bytes([0x90, 0x80, 0x81, 0x23, 0x10, 0x02, 0x00]))
    # Same but an inter frame (P=1).
    assert not vp8_keyframe_start(bytes([0x90, 0x80, 0x81, 0x23, 0x11, 0x02, 0x00]))
    # Not the start of a partition.
    assert not vp8_keyframe_start(bytes([0x80, 0x80, 0x81, 0x23, 0x10]))
    assert not vp8_keyframe_start(b"\x10")


def test_h264_keyframe_start_finds_idr_and_sps() -> None:
    assert h264_keyframe_start(bytes([0x65, 0x88]))  # IDR slice
    assert h264_keyframe_start(bytes([0x18, 0x00, 0x02, 0x67, 0x42]))  # STAP-A with SPS
    assert h264_keyframe_start(bytes([0x7C, 0x85]))  # FU-A start of IDR
    assert not h264_keyframe_start(bytes([0x7C, 0x05]))  # FU-A continuation
    assert not h264_keyframe_start(bytes([0x41, 0x9A]))  # non-IDR slice


def test_payload_parsers_never_raise_on_random_bytes() -> None:
    rng = random.Random(42)
    for _ in range(20000):
        payload = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 12)))
        vp8_keyframe_start(payload)
        h264_keyframe_start(payload)
