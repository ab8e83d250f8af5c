"""A crash in a background loop is logged and the loop restarted, never silently lost."""

from __future__ import annotations

import asyncio
import logging

import pytest

from sfu.supervision import SupervisedLoop
from tests.sfu.conftest import Harness, eventually


def failures(caplog: pytest.LogCaptureFixture, name: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(f"{name} failed")]


async def test_each_kind_of_crash_is_logged_once_with_traceback_and_the_loop_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    crashes: list[Exception] = [ValueError("a"), ValueError("b"), KeyError("c")]
    rounds = 0

    async def loop() -> None:
        nonlocal rounds
        while True:
            if crashes:
                raise crashes.pop(0)
            rounds += 1
            await asyncio.sleep(0.01)

    supervised = SupervisedLoop("tick", loop, backoff_s=0.01)
    try:
        await eventually(lambda: rounds >= 3, what="the loop running again")
    finally:
        await supervised.close()
    logged = failures(caplog, "tick")
    assert [(r.levelname, r.exc_info is not None) for r in logged] == [
        ("ERROR", True),
        ("WARNING", False),
        ("ERROR", True),
    ], "a traceback for each new kind of crash, one line for a repeat"
    assert "ValueError: b" in logged[1].getMessage()
    assert supervised.restarts == 3
    assert not supervised.running, "closing cancels the owned task"


async def test_a_crashing_speaker_loop_is_restarted_and_speakers_are_still_announced(
    harness: Harness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = await harness.joined("ann", None, speaking=False)
    room = harness.sfu._rooms[harness.room]
    speaker = room._speaker
    pick, crashes = speaker.pick, [0]

    def crashing_pick() -> str | None:
        if crashes[0] < 2:
            crashes[0] += 1
            raise RuntimeError("injected failure")
        return pick()

    monkeypatch.setattr(speaker, "pick", crashing_pick)
    await harness.joined("bob", None, speaking=True)

    await eventually(lambda: bool(ann.events_of("speaker")), what="a speaker event after crashes")
    assert ann.events_of("speaker")[-1] == {"type": "speaker", "participant": "bob"}
    logged = failures(caplog, "speaker:room-1")
    assert [r.levelname for r in logged] == ["ERROR", "WARNING"]
    assert logged[0].exc_info is not None and "injected failure" in str(logged[0].exc_info[1])
    assert harness.sfu.stats()["loop_restarts"] == 2


async def test_closing_a_loop_that_lost_its_cancel_still_ends_it() -> None:
    """Python 3.11's wait_for loses a cancel that lands as its result does; the loop runs
    on. Closing cancels again instead of waiting on it for good (a room's lock was held)."""
    lost = 0

    async def loses_one_cancel() -> None:
        nonlocal lost
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            lost += 1  # carried on, as wait_for does
        await asyncio.Event().wait()

    loop = SupervisedLoop("stubborn", loses_one_cancel)
    await asyncio.sleep(0)
    await asyncio.wait_for(loop.close(), 5)
    assert lost == 1 and not loop.running
