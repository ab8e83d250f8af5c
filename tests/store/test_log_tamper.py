"""Every kind of database edit to a session log is caught; an untouched log verifies."""

from __future__ import annotations

import random
from typing import Any

import pytest

from imr_live.store.session_log import SessionLog
from tests.store.tampering import KINDS

EVENTS = 12


def positions(kind: str) -> list[int]:
    """First, middle, last and two random positions (forged append: how many events)."""
    if kind == "forged append":
        return [1, 2, 5]
    if kind == "delete all":
        return [1]
    rng = random.Random(kind)
    return [1, EVENTS // 2, EVENTS, rng.randint(2, EVENTS - 1), rng.randint(2, EVENTS - 1)]


def reported_at(kind: str, pos: int) -> int:
    """The event verify names: the edited row itself, or where the head stops agreeing.

    A re-chained log is consistent in itself; only the signed head (count and
    last hash) shows it, so the break is named at the end of the log.
    """
    if kind == "reorder":
        return min(pos, pos + 1 if pos < EVENTS else pos - 1)
    if kind in ("delete and renumber", "re-chain"):
        return EVENTS
    return {"forged append": EVENTS + 1, "delete all": 1}.get(kind, pos)


async def make_session(log: SessionLog, sid: str) -> None:
    for i in range(EVENTS):
        await log.append(sid, f"p_{i % 3}", "chat.sent", {"text": f"line {i}", "i": i})


async def test_an_untampered_log_verifies(db: Any) -> None:
    log = SessionLog(db)
    await make_session(log, "s_clean")
    result = await log.verify("s_clean")
    assert (result.ok, result.known, result.count) == (True, True, EVENTS)


@pytest.mark.parametrize("kind", list(KINDS))
async def test_every_tamper_kind_is_detected_at_every_position(db: Any, kind: str) -> None:
    log = SessionLog(db)
    missed = []
    for case, pos in enumerate(positions(kind)):
        sid = f"s_{kind.replace(' ', '_')}_{case}"
        await make_session(log, sid)
        assert (await log.verify(sid)).ok
        await KINDS[kind](db, sid, pos, EVENTS)
        result = await log.verify(sid)
        if result.ok:
            missed.append(pos)
        else:
            assert result.problem and result.first_bad_seq == reported_at(kind, pos), result
    assert missed == [], f"{kind} not detected at positions {missed}"


async def test_a_tampered_session_leaves_its_neighbours_intact(db: Any) -> None:
    log = SessionLog(db)
    await make_session(log, "s_a")
    await make_session(log, "s_b")
    await KINDS["re-chain"](db, "s_a", 3, EVENTS)
    results = await log.verify_all()
    assert not results["s_a"].ok and results["s_b"].ok
