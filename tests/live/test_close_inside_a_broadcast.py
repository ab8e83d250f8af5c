"""Closes that happen at awkward moments never freeze a session or contradict the log."""

from __future__ import annotations

import asyncio

from tests.live.harness import Server
from tests.live.raw_socket import RawSocket
from tests.live.test_permissions import admitted_guest


async def test_a_silent_connection_dropped_during_a_broadcast_does_not_freeze_the_session(
    server: Server,
) -> None:
    # Engine.IO notices a missed ping while sending to the room, inside a command that
    # holds the session lock, and runs the disconnect handler right there.
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    silent = await RawSocket.open(server.url, {"token": await clinician.invite(sid)})
    await silent.send('420["join",{"display_name":"Silent"}]')
    pid = (await silent.ack(0))["you"]["id"]
    await leader.ok("waiting.admit", {"participant": pid})
    await asyncio.sleep(8)
    await silent.send('421["hand.raise",{}]')  # its last frame: the next ping goes unanswered
    await asyncio.sleep(13)  # ping interval 10 s + timeout 10 s have passed since the last pong
    for n in range(3):
        ack = await asyncio.wait_for(leader.call("chat.send", {"text": f"still here {n}"}), 15)
        assert ack["ok"], ack
    await leader.wait_event("participant.dropped", participant=pid)


async def test_consent_given_while_recording_is_logged_and_acknowledged(
    media_server: Server,
) -> None:
    clinician = await media_server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join", {"consent": True})
    await leader.ok("media", {"type": "join"})
    await leader.ok("recording.set", {"on": True})
    client, pid = await admitted_guest(media_server, leader, await clinician.invite(sid), "Ann")
    ack = await client.call("consent.set", {"recording": True})
    assert ack["ok"], ack  # the consent is in the log: refusing it now would contradict it
    kinds = [(e.kind, e.data.get("participant")) for e in await media_server.services.log.read(sid)]
    assert ("consent.set", pid) in kinds
