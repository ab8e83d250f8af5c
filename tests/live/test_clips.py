"""Recovery videos over the live channel: a lead plays a clip, everyone decodes it through
the SFU (no re-encoding), pause and resume are in sync, a late joiner starts where it is,
audio-only people get only its sound, clients may not play one, stop takes it away."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sfu.service import SfuService
from tests.clip_files import make_clip
from tests.http.test_handouts import form
from tests.live.harness import Server, start_server
from tests.live.test_media_over_live_channel import SocketPeer, publishing
from tests.live.test_permissions import admitted_guest, lead_and_two_clients
from tests.sfu.conftest import eventually


@pytest.fixture
async def clip_server(tmp_path: Path) -> AsyncIterator[Server]:
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    make_clip(shipped / "calm-breathing.webm", seconds=40, colour="yellow")
    (shipped / "calm-breathing.txt").write_text("Calm breathing")
    srv = await start_server(tmp_path, sfu=True, clips_dir=shipped, clip_max_bytes=200_000)
    try:
        yield srv
    finally:
        await srv.stop()


def clips_in_room(server: Server, sid: str) -> set[str]:
    sfu = server.services.sfu
    assert isinstance(sfu, SfuService)
    room = sfu._rooms.get(sid)
    return {pid for pid in room.participants if pid.startswith("clip~")} if room else set()


async def test_a_clip_plays_to_everyone_in_sync(clip_server: Server, tmp_path: Path) -> None:
    server = clip_server
    clinician, sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(server)
    status, listed = await clinician.api("GET", f"/api/sessions/{sid}/clips")
    assert status == 200
    assert [c["title"] for c in listed["clips"]] == ["Calm breathing"]
    clip_id = listed["clips"][0]["id"]
    media_id = f"clip~{clip_id}"

    async with publishing((leader, clinician.id), (ann, ann_id), (ben, ben_id)) as peers:
        lead, ann_peer, ben_peer = peers
        await ben_peer.send({"type": "audio_only", "on": True})
        refused = await ann.call("clip.play", {"clip": clip_id})
        assert refused["error"]["code"] == "forbidden", "a client may not play a video"
        bad = await leader.call("clip.play", {"clip": "no such/clip"})
        assert bad["error"]["code"] == "invalid"
        missing = await leader.call("clip.play", {"clip": "nothing-here"})
        assert missing["error"]["code"] == "not_found"
        assert clips_in_room(server, sid) == set()

        await leader.ok("clip.play", {"clip": clip_id})
        started = await ann.wait_event("clip.started", clip=clip_id)
        assert started["data"]["title"] == "Calm breathing"
        for peer in (lead, ann_peer):
            await eventually(lambda p=peer: p.video_frames_from(media_id) > 10, what="clip video")
            assert set(peer.colours[media_id]) == {"yellow"}
            await eventually(lambda p=peer: p.audio_frames[media_id] > 20, what="clip sound")
        await eventually(lambda: ben_peer.audio_frames[media_id] > 20, what="Ben hears it")
        assert ben_peer.video_frames_from(media_id) == 0, "audio only: sound, no picture"

        # Pause: no more frames; resume: they come again.
        await leader.ok("clip.pause")
        paused = await ann.wait_event("clip.paused", clip=clip_id)
        assert paused["data"]["position"] > 0
        await asyncio.sleep(0.5)  # packets already on the way arrive
        frames = ann_peer.video_frames_from(media_id)
        await asyncio.sleep(1.0)
        assert ann_peer.video_frames_from(media_id) == frames, "nothing while paused"
        assert (await leader.call("clip.pause"))["error"]["code"] == "conflict"
        state = (await ann.ok("join"))["state"]["clip"]
        assert state["playing"] is False and state["position"] == paused["data"]["position"]
        await leader.ok("clip.resume")
        await eventually(lambda: ann_peer.video_frames_from(media_id) > frames + 10, what="on")

        # Seek, and a late joiner gets the clip in the snapshot at its position.
        assert (await leader.call("clip.seek", {"seconds": 99}))["error"]["code"] == "invalid"
        await leader.ok("clip.seek", {"seconds": 20})
        carl, carl_id = await admitted_guest(server, leader, await clinician.invite(sid), "Carl")
        snapshot = (await carl.ok("join"))["state"]["clip"]
        assert snapshot["clip"] == clip_id and snapshot["playing"]
        assert 20 <= snapshot["position"] < 30 and snapshot["title"] == "Calm breathing"
        late = SocketPeer(carl, carl_id)
        try:
            await late.join()
            await eventually(lambda: late.video_frames_from(media_id) > 10, what="Carl sees it")
            assert set(late.colours[media_id]) == {"yellow"}
        finally:
            await late.close()

        # Stop: the clip's tracks go away for everyone.
        assert (await ann.call("clip.stop"))["error"]["code"] == "forbidden"
        await leader.ok("clip.stop")
        await ann.wait_event("clip.stopped", clip=clip_id)
        await eventually(
            lambda: any(e["participant"] == media_id for e in ann_peer.events_of("track_removed")),
            what="the clip's tracks removed",
        )
        assert clips_in_room(server, sid) == set()
        assert (await ann.ok("join"))["state"]["clip"] is None
    kinds = [ev.kind for ev in await server.services.log.read(sid) if ev.kind.startswith("clip.")]
    assert kinds == ["clip.started", "clip.paused", "clip.resumed", "clip.sought", "clip.stopped"]


async def test_a_lead_uploads_a_clip_and_bad_files_are_refused(
    clip_server: Server, tmp_path: Path
) -> None:
    server = clip_server
    clinician, sid, leader, (ann, _ann_id), _ben = await lead_and_two_clients(server)
    clip = make_clip(tmp_path / "story.webm", seconds=6, colour="blue")
    path = f"/api/sessions/{sid}/clips"
    status, body = await clinician.api("POST", path, data=form(clip.read_bytes(), "story.webm"))
    assert status == 201, body
    assert body["clip"]["title"] == "story" and 5 < body["clip"]["duration"] < 7
    uploaded = body["clip"]["id"]

    status, body = await clinician.api("POST", path, data=form(b"%PDF-1.4 no", "x.webm"))
    assert status == 400 and "video" in body["error"]["message"]
    no_opus = make_clip(tmp_path / "quiet.mp4", seconds=1, video="libx264", audio=False)
    mp4 = no_opus.read_bytes()
    status, body = await clinician.api("POST", path, data=form(mp4, "quiet.mp4"))
    assert status == 201, "an H.264 MP4 with no sound is fine"
    big = make_clip(tmp_path / "long.webm", seconds=30)
    assert big.stat().st_size > 200_000
    status, body = await clinician.api("POST", path, data=form(big.read_bytes(), "long.webm"))
    assert status == 413
    status, listed = await clinician.api("GET", path)
    assert [c["title"] for c in listed["clips"]] == ["Calm breathing", "story", "quiet"]
    stored = sorted(p.name for p in (tmp_path / "data" / "clips" / sid).iterdir())
    assert len(stored) == 4 and not any(n.startswith(".upload") for n in stored)

    # The video plays before anyone has media: the first media join starts it.
    await leader.ok("clip.play", {"clip": uploaded})
    async with publishing((ann, _ann_id)) as (ann_peer,):
        media_id = f"clip~{uploaded}"
        await eventually(lambda: ann_peer.video_frames_from(media_id) > 10, what="Ann sees it")
        assert set(ann_peer.colours[media_id]) == {"blue"}
