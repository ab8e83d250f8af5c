"""Join/leave churn keeps everyone receiving and leaks no task or connection."""

from __future__ import annotations

import asyncio
import gc
import weakref
from pathlib import Path
from typing import Any

from aiortc.rtcdtlstransport import RTCDtlsTransport

from sfu.participant import Participant
from tests.sfu.conftest import Harness, eventually

COUNTS = ("participants", "peer_connections", "tasks", "legs")


async def test_join_leave_churn_keeps_subscribers_receiving_and_returns_to_baseline(
    harness: Harness,
) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(
        lambda: ann.video_frames_from("bob") >= 5 and bob.video_frames_from("ann") >= 5
    )
    baseline = {k: harness.sfu.stats()[k] for k in COUNTS}

    for cycle in range(3):
        cat = await harness.joined("cat", "blue")
        await eventually(
            lambda c=cat, n=5 * (cycle + 1): (
                ann.video_frames_from("cat") >= n
                and bob.video_frames_from("cat") >= n
                and c.video_frames_from("ann") >= 5
            ),
            what=f"cycle {cycle}: everyone sees cat and cat sees ann",
        )
        await cat.send({"type": "leave"})
        await cat.close()
        del harness.peers["cat"]
        frames = (ann.video_frames_from("bob"), bob.video_frames_from("ann"))
        await eventually(
            lambda f=frames: (
                ann.video_frames_from("bob") >= f[0] + 10
                and bob.video_frames_from("ann") >= f[1] + 10
            ),
            what=f"cycle {cycle}: ann and bob still receive each other",
        )

    await eventually(
        lambda: {k: harness.sfu.stats()[k] for k in COUNTS} == baseline,
        what=f"counts back to {baseline}",
    )
    assert set(ann.colours["bob"]) == {"green"}
    assert set(bob.colours["ann"]) == {"red"}


async def test_the_legs_of_someone_who_left_are_freed_while_the_room_goes_on(
    harness: Harness,
) -> None:
    # The regression (bench/soak.py: RSS still rising after warm-up): each leg's RTCP
    # hook stayed on its parked sender, whose transceiver aiortc keeps for the life of
    # the subscriber's connection, so every leg of everyone who ever left stayed in
    # memory with its retransmission history; and on the native path each publisher
    # connection stayed alive through its socket readers (held strongly as the values
    # of a WeakKeyDictionary keyed by the connection's own transport).
    ann = await harness.joined("ann", "red")
    cat = await harness.joined("cat", "blue")
    await eventually(lambda: ann.video_frames_from("cat") >= 5, what="ann sees cat")
    room = harness.sfu._rooms[harness.room]
    legs = [weakref.ref(leg) for leg in room.participants["ann"].legs.values()]
    gone = [weakref.ref(pc) for pc in room.participants["cat"].peer_connections()]
    gone.append(weakref.ref(room.participants["cat"]))
    gone += [weakref.ref(f) for f in room.participants["cat"].forwarders.values()]
    assert len(legs) == 2  # cat's sound and picture
    await cat.send({"type": "leave"})
    await cat.close()
    del harness.peers["cat"]
    await eventually(lambda: not room.participants["ann"].legs, what="ann's legs dropped")
    gc.collect()
    assert [ref() for ref in legs] == [None, None], "the dropped legs are freed"
    assert [ref() for ref in gone] == [None] * len(gone), "cat's connections are freed"
    sub_pc = room.participants["ann"].sub_pc
    assert sub_pc is not None and sub_pc.connectionState == "connected"


async def test_someone_who_leaves_as_their_handshake_ends_is_freed_and_nothing_raises(
    harness: Harness, monkeypatch: Any, caplog: Any
) -> None:
    # The regression (CI: "cat's connections are freed" failed now and then): aiortc's
    # close() leaves the task that connects a peer connection running. A DTLS
    # handshake that ended just after the close started the connection's receivers
    # on the closed connection; their RTCP loops ran on for good, holding the
    # connection and the participant, and the next ICE start raised "RTCIceTransport
    # is closed" in a task nobody awaited. Here every handshake that completes waits
    # until cat has left, so the close always lands in that window.
    ann = await harness.joined("ann", "red")
    await eventually(lambda: ann.pub_pc is not None and ann.pub_pc.connectionState == "connected")
    ended, release = asyncio.Event(), asyncio.Event()
    handshake = RTCDtlsTransport._do_handshake

    async def handshake_then_wait(self: RTCDtlsTransport) -> None:
        await handshake(self)
        ended.set()
        await release.wait()

    monkeypatch.setattr(RTCDtlsTransport, "_do_handshake", handshake_then_wait)
    cat = await harness.joined("cat", "blue")
    await asyncio.wait_for(ended.wait(), 30)
    room = harness.sfu._rooms[harness.room]
    gone = [weakref.ref(pc) for pc in room.participants["cat"].peer_connections()]
    gone.append(weakref.ref(room.participants["cat"]))
    await cat.send({"type": "leave"})
    release.set()
    await cat.close()
    del harness.peers["cat"]

    def freed() -> bool:
        gc.collect()
        return all(ref() is None for ref in gone)

    await eventually(freed, 10.0, what="cat's connections and participant freed")
    assert "RTCIceTransport is closed" not in caplog.text
    assert "never retrieved" not in caplog.text


async def test_closing_the_room_ends_every_task_and_connection(harness: Harness) -> None:
    ann = await harness.joined("ann", "red")
    bob = await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="media flowing")
    await ann.send({"type": "record", "on": True, "allowed": ["ann", "bob"]})
    room = harness.sfu._rooms[harness.room]
    pcs = [pc for p in room.participants.values() for pc in p.peer_connections()]

    await harness.sfu.close_room(harness.room)
    await harness.sfu.close_room(harness.room)

    assert harness.sfu.stats()["participants"] == 0
    assert all(pc.connectionState == "closed" for pc in pcs)
    prefixes = ("negotiate:", "keyframes:", "speaker:", "budget:")
    left = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith(prefixes)]
    assert left == []
    assert room.recording is None
    await eventually(lambda: bob.sub_pc is not None and bob.sub_pc.connectionState != "connected")


async def test_closing_a_room_closes_its_participants_at_once(
    harness: Harness, monkeypatch: Any
) -> None:
    for pid in ("ann", "bob", "cat", "dan"):
        await harness.sfu.handle(harness.room, pid, {"type": "join"})
    room = harness.sfu._rooms[harness.room]
    original = Participant.close
    closed: list[str] = []
    steps: list[str] = []

    async def slow_close(self: Participant) -> None:
        steps.append(f"start {self.id}")
        await asyncio.sleep(0.2)  # like a peer connection that is slow to close
        await original(self)
        steps.append(f"done {self.id}")
        closed.append(self.id)
        if self.id == "bob":
            raise RuntimeError("bob's close failed")

    monkeypatch.setattr(Participant, "close", slow_close)
    await harness.sfu.close_room(harness.room)

    # Every close began before the first one finished: together, not one after another.
    assert [s.split()[0] for s in steps[:4]] == ["start"] * 4
    assert sorted(closed) == ["ann", "bob", "cat", "dan"]  # a failure stops no one else
    assert room.participants == {}
    left = [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("negotiate:")]
    assert left == []


async def test_a_long_session_of_comings_and_goings_keeps_the_offer_small(tmp_path: Path) -> None:
    # aiortc never removes a transceiver: each leg of someone who left stays in the
    # subscriber's offer as an inactive m-line, and so does the answer. Measured here:
    # 2.2 KB more per person who came and went, in the offer and in the answer, so
    # some 28 comings and goings in a long group session (a weak phone dropping out
    # and back) took the answer over the live channel's 64 KB event limit. Past
    # `max_dead_mlines` the subscribing connection starts afresh (new_pc).
    harness = Harness(tmp_path, max_dead_mlines=4)
    try:
        ann = await harness.joined("ann", "red")
        await harness.joined("bob", "green")
        for cycle in range(4):
            cat = await harness.joined("cat", "blue")
            await eventually(
                lambda c=cycle: ann.video_frames_from("cat") >= 5 * (c + 1),
                what=f"cycle {cycle}: ann sees cat",
            )
            await cat.send({"type": "leave"})
            await cat.close()
            del harness.peers["cat"]
        dan = await harness.joined("dan", "blue")
        frames = ann.video_frames_from("bob")
        await eventually(
            lambda: (
                ann.video_frames_from("dan") >= 5 and ann.video_frames_from("bob") >= frames + 5
            ),
            what="ann sees dan and still sees bob",
        )
        assert ann._retired, "ann's subscribing connection was started afresh"
        offer = ann._last_offer
        # bob's and dan's sound and picture, plus at most 4 m-lines of people gone.
        assert offer.count("\r\nm=") <= 4 + 4, offer.count("\r\nm=")
        assert set(ann.colours["bob"]) == {"green"} and set(ann.colours["dan"]) == {"blue"}
        del dan
    finally:
        await harness.close()


async def test_a_subscribing_connection_closed_under_the_sfu_is_started_afresh(
    harness: Harness,
) -> None:
    # The regression (bench/soak.py server log): a subscribing connection closed by
    # aiortc itself (consent lost, DTLS failed) stayed in place, and every later
    # renegotiation raised "RTCPeerConnection is closed" with a traceback: the person
    # never got another offer.
    ann = await harness.joined("ann", "red")
    await harness.joined("bob", "green")
    await eventually(lambda: ann.video_frames_from("bob") >= 5, what="ann sees bob")
    room = harness.sfu._rooms[harness.room]
    sub_pc = room.participants["ann"].sub_pc
    assert sub_pc is not None
    await sub_pc.close()
    await harness.joined("cat", "blue")
    await eventually(lambda: ann.video_frames_from("cat") >= 5, what="ann sees cat")
    await eventually(lambda: ann.video_frames_from("bob") >= 10, what="ann sees bob again")
    assert ann._retired, "ann was offered a fresh subscribing connection"
