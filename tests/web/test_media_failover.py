"""In the browser: an SFU worker dies mid-session and everyone's video comes back by itself."""

from __future__ import annotations

import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.live.harness import Server, start_server
from tests.multinode.test_sfu_workers import live_workers, room_worker, workers  # noqa: F401
from tests.web.test_media import client_in_room, eventually, leader_in_room, participant_id, sees

NEW_CONNECTIONS = "(n) => window.__pcs.filter((pc) => pc.connectionState !== 'closed').length >= 2 && window.__pcs.length > n"


@pytest.fixture
async def worker_server(
    tmp_path: Path,
    redis_url: str,
    redis_prefix: str,
    workers: Any,  # noqa: F811
) -> AsyncIterator[Server]:
    """A web node whose media runs on two `imr-live sfu` worker processes."""
    srv = await start_server(
        tmp_path, sfu=True, sfu_workers=True, redis_url=redis_url, redis_prefix=redis_prefix
    )
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.fixture
async def worker_browser(worker_server: Server) -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def test_video_returns_without_a_reload_when_the_sfu_worker_dies(
    worker_server: Server, worker_browser: Browser, redis_url: str, redis_prefix: str
) -> None:
    await eventually(
        lambda: live_workers(redis_url, redis_prefix), lambda w: len(w) == 2, "workers"
    )
    leader, (link, _) = await leader_in_room(worker_browser, worker_server, "Failover group")
    ann = await client_in_room(worker_browser, worker_server, leader, link, "Ann", "green")
    ann_id, dana_id = await participant_id(leader, "Ann"), await participant_id(leader, "dana")
    await sees(ann, dana_id, "red", "Ann sees dana")
    await sees(leader, ann_id, "green", "dana sees Ann")
    before = {p: await p.evaluate("window.__pcs.length") for p in (leader, ann)}

    session_id = leader.url.rstrip("/").rsplit("/", 1)[1]
    holder = await room_worker(redis_url, redis_prefix, session_id)
    os.kill(int(holder.split("-")[1]), signal.SIGKILL)

    for page, count in before.items():
        await page.wait_for_function(NEW_CONNECTIONS, arg=count, timeout=60_000)
    await sees(ann, dana_id, "red", "Ann sees dana again")
    await sees(leader, ann_id, "green", "dana sees Ann again")
    assert await room_worker(redis_url, redis_prefix, session_id) != holder
