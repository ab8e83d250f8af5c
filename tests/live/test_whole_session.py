"""A whole session over the live channel, as a clinician and clients live it."""

from __future__ import annotations

from typing import Any

from imr_live.domain.roles import StaffRole
from tests.live.harness import LiveClient, Server, guest


def first_script(server: Server) -> tuple[str, list[str], str]:
    """A script ref with slides and a role play, from the shipped curriculum."""
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    session = curriculum.modules[0].sessions[0]
    return session.ref, [s.id for s in session.slides], session.role_plays[0].id


async def admit_all(leader: LiveClient, clients: list[LiveClient], names: list[str]) -> list[str]:
    ids = []
    for client, name in zip(clients, names, strict=True):
        ack = await client.ok("join", {"display_name": name, "consent": True})
        assert ack["status"] == "waiting"
        pid = ack["you"]["id"]
        await leader.wait_event("participant.joined", participant=pid)
        await leader.ok("waiting.admit", {"participant": pid})
        admitted = await client.wait_for(lambda n, _d: n == "admitted")
        assert admitted["state"]["status"] == "live"
        ids.append(pid)
    return ids


async def test_a_whole_group_session_is_logged_in_order_and_verifies(any_server: Server) -> None:
    server = any_server
    clinician = await server.staff("dana")
    co = await server.staff("sam", StaffRole.CO_LEADER)
    ref, slides, role_play = first_script(server)
    session = await clinician.create_session(script_ref=ref, co_leader_ids=[co.id])
    sid = session["id"]
    tokens = [await clinician.invite(sid) for _ in range(3)]

    leader = await clinician.connect(sid)
    assert (await leader.ok("join"))["status"] == "admitted"
    co_leader = await co.connect(sid)
    await co_leader.ok("join")
    clients = [await guest(server, t) for t in tokens]
    ids = await admit_all(leader, clients, ["Ann", "Ben", "Cy"])

    await leader.ok("slide.show", {"index": 0})
    await co_leader.ok("slide.show", {"index": 1})
    for client in clients:
        shown = await client.wait_event("slide.shown", index=1)
        assert shown["data"]["slide_id"] == slides[1]
        assert shown["content"]["id"] == slides[1]

    cast = {"client": ids[0], "leader": clinician.id}
    rp = await leader.call("roleplay.start", {"role_play_id": role_play, "cast": cast})
    assert rp["ok"], rp
    started = await clients[0].wait_event("roleplay.started")
    assert started["data"]["cast"]["client"] == ids[0] and started["data"]["scenario"]
    await leader.ok("roleplay.step", {"step": 1})

    # Ben's connection drops; he comes back by the same link and sees where we are.
    await clients[1].sio.eio.disconnect(abort=True)
    await leader.wait_event("participant.dropped", participant=ids[1])
    back = await guest(server, tokens[1])
    ack = await back.ok("join", {"display_name": "Ben"})
    assert ack["status"] == "admitted"
    assert ack["state"]["slide"]["slide_id"] == slides[1]
    assert ack["state"]["role_play"]["id"] == role_play and ack["state"]["role_play"]["step"] == 1
    assert [m["text"] for m in ack["state"]["chat"]] == []
    await leader.wait_event("participant.rejoined", participant=ids[1])

    await clients[2].ok("hand.raise")
    await clients[2].ok("chat.send", {"text": "Can we go over that again?"})
    late_reader = await guest(server, tokens[0])
    seen = await late_reader.ok("join", {"display_name": "Ann"})
    assert seen["state"]["chat"][-1]["text"] == "Can we go over that again?"
    await late_reader.close()
    await leader.ok("roleplay.end")
    await leader.ok("assignment.give", {"participant": ids[0], "text": "Notice one stress sign."})
    await leader.ok(
        "goal.note",
        {
            "participant": ids[0],
            "goal": "Get back to work",
            "short_term": [{"goal": "Update CV", "steps": ["Find old CV"]}],
        },
    )
    await leader.ok("session.end")
    await back.wait_event("session.ended")

    events = await server.services.log.read(sid)
    kinds = [e.kind for e in events]
    expected_order = [
        "session.started",
        "participant.joined",
        "participant.joined",
        "participant.joined",
        "consent.set",
        "participant.admitted",
    ]
    assert kinds[: len(expected_order)] == expected_order
    for kind in (
        "slide.shown",
        "roleplay.started",
        "roleplay.stepped",
        "participant.dropped",
        "participant.rejoined",
        "hand.raised",
        "chat.sent",
        "roleplay.ended",
        "assignment.given",
        "goal.noted",
        "session.ended",
    ):
        assert kind in kinds, kind
    assert kinds[-1] == "session.ended"
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert (await server.services.log.verify(sid)).ok
    for c in [leader, co_leader, back, *clients]:
        await c.close()
    await clinician.close()
    await co.close()


async def test_late_joiner_sees_current_slide(server: Server) -> None:
    clinician = await server.staff("dana")
    ref, slides, _ = first_script(server)
    sid = (await clinician.create_session(script_ref=ref))["id"]
    token = await clinician.invite(sid)
    leader = await clinician.connect(sid)
    await leader.ok("join")
    await leader.ok("slide.show", {"slide_id": slides[2]})

    late = await guest(server, token)
    pid = (await late.ok("join", {"display_name": "Dee"}))["you"]["id"]
    await leader.wait_event("participant.joined", participant=pid)
    await leader.ok("waiting.admit", {"participant": pid})
    admitted: Any = await late.wait_for(lambda n, _d: n == "admitted")
    assert admitted["state"]["slide"]["slide_id"] == slides[2]
    assert admitted["state"]["slide"]["content"]["title"]
    await late.close()
    await leader.close()
    await clinician.close()


async def test_waiting_guests_are_invisible_to_clients_until_admitted(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(format="group"))["id"]
    t1, t2 = await clinician.invite(sid), await clinician.invite(sid)
    leader = await clinician.connect(sid)
    await leader.ok("join")
    first = await guest(server, t1)
    ack = await first.ok("join", {"display_name": "Ann"})
    await leader.ok("waiting.admit", {"participant": ack["you"]["id"]})
    await first.wait_for(lambda n, _d: n == "admitted")
    second = await guest(server, t2)
    waiting = await second.ok("join", {"display_name": "Ben"})
    await leader.wait_event("participant.joined", participant=waiting["you"]["id"])
    assert first.events("participant.joined") == []
    await leader.ok("waiting.deny", {"participant": waiting["you"]["id"]})
    await second.wait_for(lambda n, _d: n == "denied")
    for c in (first, second, leader):
        await c.close()
    await clinician.close()


async def test_a_locked_session_refuses_newcomers_but_not_returning_people(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    t1, t2 = await clinician.invite(sid), await clinician.invite(sid)
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann = await guest(server, t1)
    pid = (await ann.ok("join", {"display_name": "Ann"}))["you"]["id"]
    await leader.ok("waiting.admit", {"participant": pid})
    await ann.wait_for(lambda n, _d: n == "admitted")
    await leader.ok("session.lock", {"locked": True})
    await ann.close()
    await leader.wait_event("participant.dropped", participant=pid)

    newcomer = await guest(server, t2)
    refused = await newcomer.call("join", {"display_name": "Ben"})
    assert refused["error"]["code"] == "locked"
    ann_again = await guest(server, t1)
    assert (await ann_again.ok("join", {"display_name": "Ann"}))["status"] == "admitted"
    for c in (newcomer, ann_again, leader):
        await c.close()
    await clinician.close()
