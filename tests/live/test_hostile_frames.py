"""Frames a broken or hostile client sends: no lockout, no forged seat, no log flood.

Each test reproduces a defect found by fuzzing the live channel (issue 12) with raw
Engine.IO/Socket.IO frames against a real server.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging

import pytest
import websockets

from tests.live.harness import LiveClient, Server, guest
from tests.live.raw_socket import RawSocket
from tests.live.test_flood_fairness import FLOODER, open_from
from tests.live.test_permissions import admitted_guest


async def leader_session(server: Server) -> tuple[str, str, str]:
    """A clinician's session: (session id, the clinician's id, their login token)."""
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    return sid, clinician.id, clinician.token


async def settled(server: Server, sid: str, pid: str) -> None:
    """Wait until the server holds no connection for ``pid`` (its closes were handled)."""
    coord = server.services.channel.recorder.coord
    async with asyncio.timeout(10):
        while await coord.connections(sid, pid):
            await asyncio.sleep(0.02)


async def test_a_leader_whose_connection_closed_during_join_can_join_again(
    server: Server,
) -> None:
    sid, lead_id, token = await leader_session(server)
    for _ in range(8):
        raw = await RawSocket.open(server.url, {"session": sid, "staff_token": token})
        await raw.send('421["join",{}]')
        await raw.close()
        await settled(server, sid, lead_id)
        leader = await LiveClient.open(server.url, {"session": sid, "staff_token": token})
        server.opened.append(leader)
        ack = await leader.call("join")
        assert ack["ok"], ack
        await leader.close()
        await settled(server, sid, lead_id)
    kinds = [e.kind for e in await server.services.log.read(sid)]
    # Every admitted stay ends in a drop: none is left open by a lost close.
    assert kinds.count("participant.dropped") == kinds.count("participant.joined") + kinds.count(
        "participant.rejoined"
    )


async def test_a_guest_who_closed_during_join_is_not_admitted_into_an_error(
    server: Server,
) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    raw = await RawSocket.open(server.url, {"token": await clinician.invite(sid)})
    await raw.send('421["join",{"display_name":"Gus"}]')
    await raw.close()
    joined = await leader.wait_event("participant.joined")
    pid = joined["data"]["participant"]
    await leader.wait_event("participant.left", participant=pid)
    before = await server.services.log.read(sid)
    ack = await leader.call("waiting.admit", {"participant": pid})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict", ack
    assert await server.services.log.read(sid) == before


async def test_reserved_event_names_from_a_client_are_refused(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    other = await clinician.invite(sid)
    raw = await RawSocket.open(server.url, {"session": sid, "staff_token": clinician.token})
    await raw.send('421["join",{}]')
    assert (await raw.ack(1))["ok"]
    await raw.send('42["disconnect"]')
    await raw.send('422["disconnect"]')
    assert (await raw.ack(2))["error"]["code"] == "unknown_event"
    await raw.send('423["connect",{},' + json.dumps({"token": other}) + "]")
    assert (await raw.ack(3))["error"]["code"] == "unknown_event"
    await raw.send('424["connect","x"]')
    assert (await raw.ack(4))["error"]["code"] == "unknown_event"
    await raw.send('425["join",{}]')
    assert (await raw.ack(5))["you"]["id"] == clinician.id  # the seat was not swapped
    await raw.send('426["chat.send",{"text":"still here"}]')
    assert (await raw.ack(6))["ok"]
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert "participant.dropped" not in kinds
    assert await server.services.channel.recorder.coord.connections(sid, clinician.id)
    await raw.close()


BROKEN_FRAMES = [
    '42["x",',  # malformed JSON
    "42[]",  # no event name
    '42[5,{"a":1}]',  # a name that is not a string
    '42["chat.send",{"text":"a"},{"extra":1}]',  # extra arguments
    '42["media",{"type":{"an":"object"}}]',  # a media type that is not a string
    '42["x\\nINFO forged line",{}]',  # a name that would forge a log line
    "4\u0000garbage",
    '44{"not":"allowed"}',
]


async def test_broken_frames_log_no_tracebacks_and_forge_no_lines(
    server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    sid, _lead_id, token = await leader_session(server)
    caplog.set_level(logging.INFO)
    for auth in (None, {"session": sid, "staff_token": token}):
        for i, frame in enumerate(BROKEN_FRAMES):
            if auth is None:
                raw = await RawSocket.open(server.url)
            else:  # each broken client on an address of its own, under its address's budget
                opened, _ = await open_from(server.url, auth, f"127.0.1.{i + 1}")
                assert opened is not None
                raw = opened
            for _ in range(20):
                await raw.send(frame)
            await raw.send('429["join",{}]' if auth else "2probe")
            await asyncio.sleep(0.05)
            await raw.close()
    await asyncio.sleep(0.3)
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) <= 2, [r.getMessage()[:200] for r in tracebacks]
    assert not any("\n" in r.getMessage() for r in caplog.records)


async def test_bad_argument_shapes_are_acked_with_a_clear_error(server: Server) -> None:
    sid, _lead_id, token = await leader_session(server)
    raw = await RawSocket.open(server.url, {"session": sid, "staff_token": token})
    await raw.send('421["join",{}]')
    assert (await raw.ack(1))["ok"]
    await raw.send('422["chat.send",{"text":"a"},{"extra":1}]')
    assert (await raw.ack(2))["error"]["code"] == "invalid"
    await raw.send('423["media",{"type":{"an":"object"}}]')
    assert (await raw.ack(3))["error"]["code"] in ("invalid", "unknown_event")  # media is off
    await raw.send("424[5,{}]")
    assert (await raw.ack(4))["error"]["code"] == "invalid"
    await raw.close()


async def test_a_revoked_link_stops_working_on_its_open_connection(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    token = await clinician.invite(sid)
    client, pid = await admitted_guest(server, leader, token, "Ann")
    status, _ = await clinician.api("DELETE", f"/api/sessions/{sid}/invites/{pid}")
    assert status == 200
    removed = await leader.wait_event("participant.removed", participant=pid)
    assert removed["data"]["reason"] == "link_revoked"
    async with asyncio.timeout(5):
        while client.sio.connected:
            await asyncio.sleep(0.05)
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert "chat.sent" not in kinds


async def test_a_revoked_link_in_the_waiting_room_leaves_it(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    waiting = await guest(server, await clinician.invite(sid))
    pid = (await waiting.ok("join", {"display_name": "Wes"}))["you"]["id"]
    await clinician.api("DELETE", f"/api/sessions/{sid}/invites/{pid}")
    await leader.wait_event("participant.removed", participant=pid)
    ack = await leader.call("waiting.admit", {"participant": pid})
    assert ack["ok"] is False and ack["error"]["code"] == "conflict"


async def test_an_expired_link_stops_working_on_its_open_connection(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, pid = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    await server.services.db.execute("UPDATE invites SET expires_at = 1 WHERE id = ?", pid)
    await asyncio.sleep(1.1)  # the connection re-reads its link at most once a second
    ack = await client.call("chat.send", {"text": "after expiry"})
    assert ack["ok"] is False and ack["error"]["code"] == "link_expired", ack
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert "chat.sent" not in kinds


async def test_a_connection_that_floods_events_is_cut_off_with_a_reason(server: Server) -> None:
    sid, _lead_id, token = await leader_session(server)
    # From an address of its own: a flooding address may not reconnect for a moment.
    raw, _ = await open_from(server.url, {"session": sid, "staff_token": token}, FLOODER)
    assert raw is not None
    await raw.send('421["join",{}]')
    assert (await raw.ack(1))["ok"]
    for n in range(2, 1002):
        await raw.send(f'42{n}["hand.lower",{{}}]')
    frames: list[str] = []
    with contextlib.suppress(websockets.ConnectionClosed):
        while not frames or frames[-1] != "1":  # Engine.IO's close: the transport is done
            frames.append(await raw.recv())
    assert '42["closed",{"reason":"too_many_events"}]' in frames
    acks = [f for f in frames if f.startswith("43")]
    # Cut once the burst and the refusals' own budget are spent: far short of 1,000.
    assert len(acks) < 200, len(acks)
    # Everyone else is unaffected: a fresh connection of the same person elsewhere joins.
    again = await LiveClient.open(server.url, {"session": sid, "staff_token": token})
    server.opened.append(again)
    assert (await again.call("join"))["ok"]
