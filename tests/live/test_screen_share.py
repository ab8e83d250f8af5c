"""Screen sharing over the live channel: a lead's share decodes at everyone, clients share
only when a lead allows it, and a share ends with its sharer."""

from __future__ import annotations

from sfu.service import SfuService
from tests.live.harness import Server
from tests.live.test_media_over_live_channel import SocketPeer, publishing
from tests.live.test_permissions import admitted_guest, lead_and_two_clients
from tests.sfu.conftest import eventually


def sharing(server: Server, sid: str) -> set[str]:
    """Media identities of the screen shares the SFU forwards in a session's room."""
    sfu = server.services.sfu
    assert isinstance(sfu, SfuService)
    room = sfu._rooms.get(sid)
    return {pid for pid in room.participants if pid.endswith("~screen")} if room else set()


async def test_a_leads_screen_reaches_everyone_and_a_late_joiner(media_server: Server) -> None:
    clinician, sid, leader, (ann, ann_id), _ben = await lead_and_two_clients(media_server)
    lead_screen = f"{clinician.id}~screen"
    async with publishing((leader, clinician.id), (ann, ann_id)) as (lead, ann_peer):
        refused = await ann.call("media", {"type": "publish", "source": "screen", "sdp": "v=0"})
        assert refused["error"]["code"] == "forbidden", "no screen before screen.start"

        await leader.ok("screen.start")
        await ann.wait_event("screen.started", participant=clinician.id)
        await lead.share_screen("yellow")
        await eventually(lambda: ann_peer.video_frames_from(lead_screen) > 10, what="Ann sees it")
        assert set(ann_peer.colours[lead_screen]) == {"yellow"}
        assert lead_screen not in lead.mids.values()

        # A late joiner gets the share in the snapshot and decodes it.
        carl, carl_id = await admitted_guest(
            media_server, leader, await clinician.invite(sid), "Carl"
        )
        state = (await carl.ok("join"))["state"]
        assert state["screen"] == clinician.id
        late = SocketPeer(carl, carl_id)
        try:
            await late.join()
            await late.publish("green")
            await eventually(lambda: late.video_frames_from(lead_screen) > 10, what="Carl sees it")
            assert set(late.colours[lead_screen]) == {"yellow"}
            await carl.ok("leave")
        finally:
            await late.close()

        # A client without permission is refused and nothing changes.
        before = len(await media_server.services.log.read(sid))
        refused = await ann.call("screen.start")
        assert refused["error"]["code"] == "forbidden"
        assert len(await media_server.services.log.read(sid)) == before
        assert (await ann.ok("join"))["state"]["screen"] == clinician.id

        # Allowed, she still waits her turn: one share at a time.
        await leader.ok("screen.allow", {"participant": ann_id})
        assert (await ann.call("screen.start"))["error"]["code"] == "conflict"
        await leader.ok("screen.stop")
        await ann.wait_event("screen.stopped", participant=clinician.id, by=clinician.id)
        assert sharing(media_server, sid) == set()

        # A lead stops a client's share.
        await ann.ok("screen.start")
        await ann_peer.share_screen("blue")
        ann_screen = f"{ann_id}~screen"
        await eventually(lambda: lead.video_frames_from(ann_screen) > 10, what="dana sees Ann's")
        assert set(lead.colours[ann_screen]) == {"blue"}
        await leader.ok("screen.stop", {"participant": ann_id})
        stopped = await ann.wait_event("screen.stopped", participant=ann_id)
        assert stopped["data"]["by"] == clinician.id and stopped["actor"] == clinician.id
        assert sharing(media_server, sid) == set()

        # The share ends when its sharer leaves.
        await ann.ok("screen.start")
        await ann_peer.share_screen("blue")
        assert sharing(media_server, sid) == {ann_screen}
        await ann.ok("leave")
        gone = await leader.wait_event("screen.stopped", participant=ann_id, reason="left")
        assert gone["data"]["by"] == ann_id
        await eventually(lambda: sharing(media_server, sid) == set(), what="the share closed")
        assert (await leader.ok("join"))["state"]["screen"] is None


async def test_taking_back_the_permission_stops_a_clients_share(media_server: Server) -> None:
    _clinician, _sid, leader, (ann, ann_id), (ben, _ben_id) = await lead_and_two_clients(
        media_server
    )
    assert (await ben.call("screen.allow", {"participant": ann_id}))["error"]["code"] == (
        "forbidden"
    )
    await leader.ok("screen.allow", {"participant": ann_id})
    assert (await ann.ok("join"))["state"]["screen_allowed"] == [ann_id]
    await ann.ok("media", {"type": "join"})
    await ann.ok("screen.start")
    assert (await ben.call("screen.stop", {"participant": ann_id}))["error"]["code"] == (
        "forbidden"
    )
    await leader.ok("screen.allow", {"participant": ann_id, "allowed": False})
    stopped = await ben.wait_event("screen.stopped", participant=ann_id)
    assert stopped["data"]["reason"] == "not_allowed"
    assert (await ann.call("screen.start"))["error"]["code"] == "forbidden"


async def test_in_private_mode_a_clients_share_follows_their_camera(media_server: Server) -> None:
    clinician, _sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(media_server)
    await leader.ok("privacy.mode", {"on": True})
    await leader.ok("screen.allow", {"participant": ann_id})
    async with publishing((leader, clinician.id), (ann, ann_id), (ben, ben_id)) as peers:
        lead, ann_peer, ben_peer = peers
        await ann.ok("screen.start")
        await ann_peer.share_screen("yellow")
        ann_screen = f"{ann_id}~screen"
        await eventually(lambda: lead.video_frames_from(ann_screen) > 10, what="the lead sees it")
        await eventually(lambda: ben_peer.video_frames_from(clinician.id) > 10, what="Ben's media")
        assert ann_screen not in ben_peer.mids.values(), "hidden from the group like her camera"

        await ann.ok("privacy.show_me", {"show": True})
        await eventually(lambda: ben_peer.video_frames_from(ann_screen) > 10, what="now shown")
        assert set(ben_peer.colours[ann_screen]) == {"yellow"}
