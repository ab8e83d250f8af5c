"""The message interface: configuration, lifetime and a failing emit callback."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from sfu import SfuConfig, SfuError, SfuService
from tests.sfu.conftest import Harness, eventually


def test_config_rejects_unknown_keys_and_bad_values() -> None:
    config = SfuConfig.from_dict(
        {
            "video_budget_kbps": 800,
            "recordings_dir": "/tmp/r",
            "ice_servers": [
                "stun:stun.example.org",
                {"url": "turn:turn.example.org", "username": "u", "credential": "p"},
            ],
        }
    )
    assert config.video_budget_kbps == 800
    assert config.ice_servers[1].username == "u"
    assert config.recordings_dir == Path("/tmp/r")
    with pytest.raises(ValueError, match="unknown"):
        SfuConfig.from_dict({"video_budget": 800})
    with pytest.raises(ValueError):
        SfuConfig(packet_history=500)


async def test_closed_service_refuses_messages(tmp_path: Path) -> None:
    async def emit(room: str, pid: str, event: dict[str, Any]) -> None:
        pass

    service = SfuService(SfuConfig(recordings_dir=tmp_path), emit)
    await service.handle("r", "ann", {"type": "join"})
    await service.close()
    await service.close()
    with pytest.raises(SfuError) as err:
        await service.handle("r", "ann", {"type": "join"})
    assert err.value.code == "room_closed"
    assert err.value.to_dict()["code"] == "room_closed"
    assert service.stats()["rooms"] == 0


async def test_a_failing_emit_is_logged_and_the_room_goes_on(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    ann = await harness.joined("ann", "red")
    harness.peer("bob")

    async def broken(room: str, pid: str, event: dict[str, Any]) -> None:
        if pid == "bob":
            raise ConnectionError("socket gone")
        harness.peers[pid].emitted(event)

    harness.sfu._rooms[harness.room]._emit = broken
    await harness.peers["bob"].join()
    await harness.peers["bob"].publish("green")

    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann still gets bob")
    assert any("emitting offer to bob failed" in r.getMessage() for r in caplog.records)


async def test_concurrent_joins_and_leaves_keep_the_room_consistent(harness: Harness) -> None:
    sfu, room = harness.sfu, harness.room
    await asyncio.gather(
        sfu.handle(room, "ann", {"type": "join"}),
        sfu.handle(room, "ann", {"type": "join"}),
        sfu.handle(room, "bob", {"type": "join"}),
    )
    assert sfu.stats()["participants"] == 2
    results = await asyncio.gather(
        sfu.handle(room, "bob", {"type": "leave"}),
        sfu.handle(room, "bob", {"type": "leave"}),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["NotInRoom", "dict"]
    assert sfu.stats()["participants"] == 1
