"""A screen share through an SFU worker over Redis: published, decoded, stopped by a lead."""

from __future__ import annotations

import asyncio

from tests.live.harness import Server
from tests.live.test_media_over_live_channel import publishing
from tests.live.test_permissions import admitted_guest
from tests.multinode.test_sfu_workers import live_workers, web, workers
from tests.sfu.conftest import eventually

__all__ = ["web", "workers"]  # the fixtures this module uses


async def test_a_share_goes_through_a_worker_and_stops_there(
    web: Server, redis_url: str, redis_prefix: str
) -> None:
    async with asyncio.timeout(30):
        while not await live_workers(redis_url, redis_prefix):
            await asyncio.sleep(0.2)
    clinician = await web.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(web, leader, await clinician.invite(sid), "Ann")
    screen = f"{clinician.id}~screen"
    async with publishing((leader, clinician.id), (client, client_id)) as (lead, ann):
        await leader.ok("screen.start")
        await lead.share_screen("yellow")
        await eventually(lambda: ann.video_frames_from(screen) > 10, what="Ann sees the share")
        assert set(ann.colours[screen]) == {"yellow"}
        await leader.ok("screen.stop")
        await eventually(
            lambda: any(e["participant"] == screen for e in ann.events_of("track_removed")),
            what="the worker dropped the share",
        )
