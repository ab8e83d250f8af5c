"""Malformed, oversized, unknown and out-of-order events: a clear error, nothing changed."""

from __future__ import annotations

from typing import Any

from tests.live.harness import LiveClient, Server, guest
from tests.live.test_permissions import admitted_guest
from tests.live.test_whole_session import first_script


async def room(server: Server) -> tuple[LiveClient, LiveClient, str, str]:
    clinician = await server.staff("dana")
    ref, _, _ = first_script(server)
    sid = (await clinician.create_session(script_ref=ref))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, pid = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    return leader, client, sid, pid


BAD: list[tuple[str, Any, str]] = [
    ("chat.send", "just a string", "invalid"),
    ("chat.send", {"text": 42}, "invalid"),
    ("chat.send", {"text": ""}, "invalid"),
    ("chat.send", {"text": "hi", "extra": 1}, "invalid"),
    ("chat.send", {"text": "x" * 2001}, "invalid"),
    ("chat.send", {"text": "x" * 70_000}, "too_large"),
    ("slide.show", {"index": -1}, "invalid"),
    ("slide.show", {"index": 999}, "invalid"),
    ("slide.show", {"index": "1"}, "invalid"),
    ("slide.show", {"deck": "../../etc/passwd", "index": 0}, "invalid"),
    ("slide.show", {}, "invalid"),
    ("roleplay.step", {"step": 1}, "out_of_order"),
    ("roleplay.end", {}, "out_of_order"),
    ("roleplay.start", {"role_play_id": "no/such/play", "cast": {}}, "not_found"),
    ("waiting.admit", {"participant": "p_nobody"}, "conflict"),
    ("participant.mute_request", {"participant": "<script>"}, "invalid"),
    ("session.lock", {"locked": "yes"}, "invalid"),
    ("hand.lower", {}, "conflict"),
    ("no.such.event", {}, "unknown_event"),
]


async def test_each_bad_event_gets_a_clear_error_and_changes_nothing(server: Server) -> None:
    leader, client, sid, _pid = await room(server)
    before = await server.services.log.read(sid)
    for event, payload, code in BAD:
        ack = await leader.call(event, payload)
        assert ack["ok"] is False, (event, payload)
        assert ack["error"]["code"] == code, (event, payload, ack)
        assert ack["error"]["message"]
    assert await server.services.log.read(sid) == before
    assert (await client.call("chat.send", {"text": "still here"}))["ok"]
    await leader.wait_event("chat.sent", text="still here")


async def test_commands_before_joining_or_admission_are_refused(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    token = await clinician.invite(sid)
    early = await guest(server, token)
    ack = await early.call("chat.send", {"text": "hello?"})
    assert ack["error"]["code"] == "not_joined"
    await early.ok("join", {"display_name": "Ann"})
    ack = await early.call("hand.raise")
    assert ack["error"]["code"] == "not_admitted"
    assert [e.kind for e in await server.services.log.read(sid)] == ["participant.joined"]


async def test_a_flood_is_rate_limited_per_connection(server: Server) -> None:
    leader, client, sid, _ = await room(server)
    acks = [await client.call("chat.send", {"text": f"spam {i}"}) for i in range(60)]
    codes = {a["error"]["code"] for a in acks if not a["ok"]}
    assert codes == {"rate_limited"}
    sent = sum(1 for a in acks if a["ok"])
    assert 25 <= sent < 60
    chats = [e for e in await server.services.log.read(sid) if e.kind == "chat.sent"]
    assert len(chats) == sent
    assert (await leader.call("chat.send", {"text": "leader unaffected"}))["ok"]


async def test_guest_display_name_is_required_and_bounded(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    client = await guest(server, await clinician.invite(sid))
    assert (await client.call("join", {}))["error"]["code"] == "invalid"
    assert (await client.call("join", {"display_name": "n" * 61}))["error"]["code"] == "invalid"
    assert await server.services.log.read(sid) == []
