"""Role-play pairs: split, visited, brought back; media stays inside each pair; all logged."""

from __future__ import annotations

import pytest

from imr_live.domain.live_state import LiveState
from sfu.service import SfuService
from tests.live.harness import LiveClient, Server, Staff, guest
from tests.live.test_media_over_live_channel import SocketPeer
from tests.live.test_safety import received
from tests.live.test_whole_session import admit_all
from tests.sfu.conftest import eventually


async def room_of(
    server: Server, n: int
) -> tuple[Staff, str, LiveClient, list[LiveClient], list[str]]:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    clients = [await guest(server, await clinician.invite(sid)) for _ in range(n)]
    ids = await admit_all(leader, clients, ["Ann", "Ben", "Cat", "Dan", "Eve"][:n])
    return clinician, sid, leader, clients, ids


async def test_pairs_are_logged_with_who_practised_with_whom_and_how_long(server: Server) -> None:
    clinician, sid, leader, clients, (ann, ben, cat, dan, eve) = await room_of(server, 5)
    refusals = [
        ({"groups": [[ann, ann]]}, "invalid"),
        ({"groups": [[ann, ben], [ben, cat]]}, "invalid"),
        ({"groups": [[ann]]}, "invalid"),
        ({"groups": [[ann, "nobody"]]}, "not_found"),
        ({"groups": [[ann, ben]], "prompts": ["a", "b"]}, "invalid"),
        ({"groups": [[ann, ben]], "prompt": "a", "prompts": ["b"]}, "invalid"),
    ]
    for payload, code in refusals:
        assert (await leader.call("pairs.start", payload))["error"]["code"] == code, payload
    assert (await clients[0].call("pairs.start", {"groups": [[ann, ben]]}))["error"]["code"] == (
        "forbidden"
    )
    assert (await leader.call("pairs.end"))["error"]["code"] == "out_of_order"
    prompts = ["Ask a friend to go for a walk.", "Say no to a second drink.", "Ask for help."]
    groups = [[ann, ben], [cat, dan, eve]]
    await leader.ok("pairs.start", {"groups": groups, "prompts": prompts[:2], "minutes": 5})
    started = await clients[4].wait_event("pairs.started")
    assert [(g["group"], g["members"], g["prompt"]) for g in started["data"]["groups"]] == [
        ("pair-1", [ann, ben], prompts[0]),
        ("pair-2", [cat, dan, eve], prompts[1]),
    ]
    assert started["data"]["ends_at"] - started["data"]["started_at"] == 5 * 60 * 1_000_000
    again = await leader.call("pairs.start", {"groups": [[ann, ben]]})
    assert again["error"]["code"] == "conflict"
    assert (await leader.call("pairs.visit", {"group": "pair-3"}))["error"]["code"] == "invalid"
    await leader.ok("pairs.visit", {"group": "pair-2"})
    # Someone reconnecting sees the pairs and who is visiting where.
    state = (await clients[0].ok("join"))["state"]["pairs"]
    assert state["visiting"] == {clinician.id: "pair-2"}
    assert [g["members"] for g in state["groups"]] == groups
    await leader.ok("pairs.end")
    ended = await clients[0].wait_event("pairs.ended")
    assert ended["data"]["reason"] == "lead"
    assert [p["members"] for p in ended["data"]["practised"]] == groups
    assert all(p["seconds"] >= 0 for p in ended["data"]["practised"])
    kinds = [e.kind for e in await server.services.log.read(sid) if e.kind.startswith("pairs.")]
    assert kinds == ["pairs.started", "pairs.visited", "pairs.ended"]
    # The session's review says it in words: who practised with whom, and for how long.
    status, review = await clinician.api("GET", f"/api/sessions/{sid}/timeline?groups=pairs")
    assert status == 200
    said = [e["summary"] for e in review["entries"]]
    assert said[0] == "dana started practice in pairs: Ann and Ben; Cat and Dan and Eve"
    assert said[1] == "dana visited pair-2"
    assert said[2].startswith("dana brought the pairs back: Ann and Ben for ")
    rebuilt = LiveState(sid)
    for event in await server.services.log.read(sid):
        rebuilt.apply(event)
    assert rebuilt.pairs is None and (await clients[1].ok("join"))["state"]["pairs"] is None


async def test_each_pair_sees_and_hears_only_itself_and_the_leader_visits_one(
    media_server: Server,
) -> None:
    server = media_server
    clinician, _sid, leader, clients, ids = await room_of(server, 4)
    ann, ben, cat, dan = ids
    lead_peer, *peers = all_peers = [
        SocketPeer(leader, clinician.id),
        *(SocketPeer(c, pid) for c, pid in zip(clients, ids, strict=True)),
    ]
    ann_peer, _ben_peer, cat_peer, _dan_peer = peers
    try:
        for peer, colour in zip(all_peers, ("red", "blue", "green", "yellow", "cyan"), strict=True):
            await peer.join()
            await peer.publish(colour)
        for pid in ids:
            await eventually(lambda p=pid: lead_peer.video_frames_from(p) > 5, what=pid)
        await eventually(lambda: ann_peer.video_frames_from(cat) > 5, what="everyone first")

        async def pairs_go_on() -> None:
            """Each pair decodes a second more of its own partner's video."""
            for viewer, partner in ((ann_peer, ben), (cat_peer, dan)):
                now = viewer.video_frames_from(partner)
                try:
                    await eventually(
                        lambda v=viewer, p=partner, n=now: v.video_frames_from(p) > n + 30
                    )
                except AssertionError as exc:
                    # Seen once in CI and once here in about 100 runs: say where it stopped.
                    raise AssertionError(video_path(server, viewer, partner)) from exc

        await leader.ok("pairs.start", {"groups": [[ann, ben], [cat, dan]], "prompt": "Say hello."})
        await eventually(lambda: len(ann_peer.events_of("track_removed")) == 6, what="A cut off")
        await eventually(lambda: len(lead_peer.events_of("track_removed")) == 8, what="lead")
        await pairs_go_on()  # what was in flight when the groups changed is drained
        ann_saw = received(ann_peer, cat, dan, clinician.id)
        lead_saw = received(lead_peer, *ids)
        await pairs_go_on()
        # Pair A went on decoding each other; nothing more of pair B or the leader reached it.
        assert received(ann_peer, cat, dan, clinician.id) == ann_saw
        assert received(lead_peer, *ids) == lead_saw

        # The leader visits pair B: only pair B and the leader meet.
        await leader.ok("pairs.visit", {"group": "pair-2"})
        cat_lead = cat_peer.video_frames_from(clinician.id)
        await eventually(
            lambda: cat_peer.video_frames_from(clinician.id) > cat_lead + 30, what="visit"
        )
        await eventually(lambda: lead_peer.video_frames_from(dan) > lead_saw[6] + 30, what="visit")
        await pairs_go_on()
        assert received(ann_peer, cat, dan, clinician.id) == ann_saw
        assert received(lead_peer, ann, ben) == lead_saw[:4]

        await leader.ok("pairs.end")
        await eventually(lambda: ann_peer.video_frames_from(cat) > ann_saw[0] + 5, what="back")
        await eventually(lambda: ann_peer.video_frames_from(clinician.id) > ann_saw[4] + 5)
        assert ann_peer.audio_frames[cat] > ann_saw[1]
    finally:
        for peer in all_peers:
            await peer.close()


def video_path(server: Server, viewer: SocketPeer, partner: str) -> str:
    """Where `partner`'s video to `viewer` stands: the publisher, the SFU's leg, the decoder."""
    sfu = server.services.sfu
    assert isinstance(sfu, SfuService)
    (room,) = sfu._rooms.values()
    forwarder = room.participants[partner].forwarders.get("video")
    leg = room.participants[viewer.id].legs.get(forwarder.track_id) if forwarder else None
    requests = forwarder.keyframe_requesters[0] if forwarder else None
    pc = viewer.sub_pc
    receivers = [
        (t.mid, t.currentDirection, t.receiver.track and t.receiver.track.readyState)
        for t in (pc.getTransceivers() if pc else ())
        if viewer.mids.get(t.mid or "") == partner and t.kind == "video"
    ]
    return (
        f"no more video from {partner} to {viewer.id}: decoded {viewer.video_frames_from(partner)}"
        f"; publisher packets in {forwarder and forwarder.packets_in}"
        f", keyframes asked {requests and requests.sent}, came {requests and requests.keyframes}"
        f"; leg sent {leg and leg.packets_sent}, paused {leg and leg.paused}"
        f", started {leg and leg._started}, NACKs answered {leg and leg.nacks_answered}"
        f", subscriber's loss {leg and leg.fraction_lost}; receivers {receivers}"
    )


async def test_pairs_ended_after_their_time_are_logged_as_ended_by_the_timer(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _clinician, sid, leader, clients, (ann, ben) = await room_of(server, 2)
    await leader.ok("pairs.start", {"groups": [[ann, ben]], "minutes": 1})
    started = (await clients[0].wait_event("pairs.started"))["data"]
    # The leader's page calls pairs.end when the minute is up: move the server's clock on.
    later = started["ends_at"] + 2 * 1_000_000
    monkeypatch.setattr("imr_live.domain.pairs.now_us", lambda: later)
    await leader.ok("pairs.end")
    ended = (await clients[1].wait_event("pairs.ended"))["data"]
    assert ended == {"practised": [{"members": [ann, ben], "seconds": 62}], "reason": "timer"}
    stored = [e.data for e in await server.services.log.read(sid) if e.kind == "pairs.ended"]
    assert stored == [ended]
