"""A malformed request on an SFU worker's queue is dropped with a log line; the worker goes on."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from imr_live.media.rpc import RemoteSfu
from imr_live.media.worker import SfuWorker
from sfu.config import SfuConfig


async def test_a_malformed_request_does_not_stop_the_worker(
    redis_url: str, redis_prefix: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    worker = SfuWorker(redis_url, redis_prefix, SfuConfig(recordings_dir=tmp_path))
    web = RemoteSfu(redis_url, redis_prefix, timeout_s=5)
    serving = asyncio.create_task(worker._serve())
    try:
        await worker.placement.announce(worker.id, {"rooms": 0, "participants": 0})
        await web.start()
        queue = worker.placement.key("q", worker.id)
        await worker.redis.lpush(queue, "not json", '{"id": "x", "message": {}}')

        reply = await web.handle("room-1", "ann", {"type": "join"})

        assert reply == {"type": "joined", "participant": "ann"}
        dropped = [r for r in caplog.records if "malformed request dropped" in r.getMessage()]
        assert len(dropped) == 2
    finally:
        worker._stop.set()
        await asyncio.gather(serving, return_exceptions=True)
        await worker._shutdown()
        await web.close()
