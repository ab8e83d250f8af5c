"""Mutes, removal, audio-only subscriptions and publishers leaving."""

from __future__ import annotations

import pytest

from sfu.errors import SfuError
from tests.sfu.conftest import Harness, eventually


def leg_packets(harness: Harness, subscriber: str, track_id: str) -> int:
    room = harness.sfu._rooms[harness.room]
    return room.participants[subscriber].legs[track_id].packets_sent


def packets_in(harness: Harness, publisher: str, kind: str) -> int:
    room = harness.sfu._rooms[harness.room]
    return room.participants[publisher].forwarders[kind].packets_in


async def test_leader_mute_stops_forwarding_and_tells_everyone(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green", speaking=True)
    await eventually(lambda: ann.audio_frames["bob"] >= 10, what="ann hears bob")

    await ann.send({"type": "server_mute", "target": "bob", "kind": "audio"})

    for peer in (ann, bob):
        muted = peer.events_of("muted")
        assert muted[-1] == {
            "type": "muted",
            "participant": "bob",
            "kind": "audio",
            "muted": True,
            "by": "ann",
        }
    sent = leg_packets(harness, "ann", "bob:audio")
    arrived = packets_in(harness, "bob", "audio")
    await eventually(lambda: packets_in(harness, "bob", "audio") >= arrived + 50)
    assert leg_packets(harness, "ann", "bob:audio") == sent
    assert ann.video_frames_from("bob") > 0

    with pytest.raises(SfuError) as err:
        await bob.send({"type": "mute", "kind": "audio", "muted": False})
    assert err.value.code == "muted_by_leader"

    await ann.send({"type": "server_mute", "target": "bob", "kind": "audio", "muted": False})
    await eventually(lambda: leg_packets(harness, "ann", "bob:audio") > sent + 10)


async def test_self_muted_video_resumes_on_a_keyframe(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")

    await bob.send({"type": "mute", "kind": "video", "muted": True})
    assert ann.events_of("muted")[-1]["by"] == "bob"
    sent = leg_packets(harness, "ann", "bob:video")
    arrived = packets_in(harness, "bob", "video")
    await eventually(lambda: packets_in(harness, "bob", "video") >= arrived + 15)
    assert leg_packets(harness, "ann", "bob:video") == sent

    frames = ann.video_frames_from("bob")
    await bob.send({"type": "mute", "kind": "video", "muted": False})
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 10, what="video again")


async def test_removed_participant_is_disconnected_and_vanishes(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    cat = await harness.joined("cat", "blue")
    await eventually(lambda: ann.video_frames_from("cat") >= 5, what="ann sees cat")

    await ann.send({"type": "remove", "target": "cat"})

    assert cat.events_of("removed")[0]["by"] == "ann"
    stats = harness.sfu.stats()
    assert stats["participants"] == 2
    assert stats["peer_connections"] == 4
    for peer in (ann, bob):
        await eventually(
            lambda p=peer: (
                {(e["participant"], e["kind"]) for e in p.events_of("track_removed")}
                == {("cat", "audio"), ("cat", "video")}
            ),
            what="cat's tracks removed",
        )
    with pytest.raises(SfuError) as err:
        await cat.send({"type": "mute", "kind": "audio"})
    assert err.value.code == "not_in_room"
    frames = ann.video_frames_from("bob")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 10, what="bob still seen")


async def test_audio_only_subscriber_gets_no_video_until_it_asks_again(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: bob.video_frames_from("ann") >= 5, what="bob sees ann")

    await bob.send({"type": "audio_only", "on": True})
    sent = leg_packets(harness, "bob", "ann:video")
    heard = bob.audio_frames["ann"]
    arrived = packets_in(harness, "ann", "video")
    await eventually(lambda: packets_in(harness, "ann", "video") >= arrived + 15)
    await eventually(lambda: bob.audio_frames["ann"] >= heard + 20, what="audio goes on")
    assert leg_packets(harness, "bob", "ann:video") == sent
    assert ann.video_frames_from("bob") > 0

    frames = bob.video_frames_from("ann")
    await bob.send({"type": "audio_only", "on": False})
    await eventually(lambda: bob.video_frames_from("ann") >= frames + 10, what="video again")


async def test_publisher_leaving_disappears_cleanly_from_subscribers(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    offers = len(ann.events_of("offer"))

    await bob.send({"type": "leave"})

    await eventually(lambda: len(ann.events_of("offer")) > offers, what="a renegotiation")
    removed = {(e["participant"], e["kind"]) for e in ann.events_of("track_removed")}
    assert removed == {("bob", "audio"), ("bob", "video")}
    assert ann.sub_pc is not None
    await eventually(
        lambda: all(
            t.currentDirection == "inactive"
            for t in ann.sub_pc.getTransceivers()  # type: ignore[union-attr]
        ),
        what="bob's m-lines inactive at ann",
    )
    stats = harness.sfu.stats()
    assert (stats["participants"], stats["legs"], stats["peer_connections"]) == (1, 0, 2)

    await ann.send({"type": "leave"})
    assert harness.sfu.stats()["rooms"] == 0, "the last one out closes the room"


async def test_republishing_replaces_the_track_everyone_sees(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees green bob")
    old_pc = bob.pub_pc
    assert old_pc is not None

    await bob.publish("yellow")
    await old_pc.close()

    await eventually(lambda: ann.colours["bob"]["yellow"] >= 10, what="ann sees yellow bob")
    assert harness.sfu.stats()["legs"] == 4


async def test_ice_restart_gives_a_fresh_subscribing_connection(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    first_pc = ann.sub_pc

    assert await ann.send({"type": "ice_restart", "pc": "sub"}) == {"type": "ok"}

    await eventually(lambda: ann.sub_pc is not first_pc, what="a new connection")
    frames = ann.video_frames_from("bob")
    await eventually(lambda: ann.video_frames_from("bob") >= frames + 10, what="video again")
    assert ann.events_of("offer")[-1]["new_pc"] is True
    assert harness.sfu.stats()["peer_connections"] == 4


async def test_a_leader_mute_holds_when_the_participant_publishes_again(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green", speaking=True)
    await eventually(lambda: ann.audio_frames["bob"] >= 5, what="ann hears bob")
    await ann.send({"type": "server_mute", "target": "bob", "kind": "audio"})

    await bob.publish("yellow", speaking=True)

    await eventually(lambda: ann.colours["bob"]["yellow"] >= 10, what="bob's new video")
    assert packets_in(harness, "bob", "audio") > 0
    assert leg_packets(harness, "ann", "bob:audio") == 0, "bob's new audio stays muted"
