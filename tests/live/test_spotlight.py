"""The lead clinician shows one person large for everyone: logged, in the snapshot, lead only."""

from __future__ import annotations

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server, guest
from tests.live.test_permissions import admitted_guest


async def test_only_the_lead_clinician_spotlights_and_a_reload_keeps_it(server: Server) -> None:
    dana = await server.staff("dana")
    cole = await server.staff("cole", StaffRole.CO_LEADER)
    sid = (await dana.create_session(co_leader_ids=[cole.id]))["id"]
    leader = await dana.connect(sid)
    await leader.ok("join")
    co_leader = await cole.connect(sid)
    await co_leader.ok("join")
    ann_token = await dana.invite(sid)
    ann, _ = await admitted_guest(server, leader, ann_token, "Ann")
    bob, bob_id = await admitted_guest(server, leader, await dana.invite(sid), "Bob")
    observer, _ = await admitted_guest(server, leader, await dana.invite(sid, "observer"), "Obi")
    waiting = await guest(server, await dana.invite(sid))
    wes_id = (await waiting.ok("join", {"display_name": "Wes"}))["you"]["id"]

    for someone in (co_leader, ann, observer):
        ack = await someone.call("video.spotlight", {"participant": bob_id})
        assert ack["error"]["code"] == "forbidden", ack
    ack = await leader.call("video.spotlight", {"participant": wes_id})
    assert ack["error"]["code"] == "not_found", ack  # in the waiting room, not in the room
    ack = await leader.call("video.spotlight", {})
    assert ack["error"]["code"] == "invalid", ack  # say whom, or null for nobody

    done = await leader.ok("video.spotlight", {"participant": bob_id})
    seen = await ann.wait_event("video.spotlighted", participant=bob_id)
    assert seen["seq"] == done["seq"]
    again = await leader.call("video.spotlight", {"participant": bob_id})
    assert again["error"]["code"] == "conflict", again

    rows = [e for e in await server.services.log.read(sid) if e.kind == "video.spotlighted"]
    assert [(r.seq, r.data) for r in rows] == [(done["seq"], {"participant": bob_id})]

    await ann.close()  # a reload: the new connection's snapshot says who is large
    state = (await (await guest(server, ann_token)).ok("join", {"display_name": "Ann"}))["state"]
    assert state["spotlight"] == bob_id

    await leader.ok("video.spotlight", {"participant": None})
    await bob.wait_event("video.spotlighted", participant=None)
    assert (await (await dana.connect(sid)).ok("join"))["state"]["spotlight"] is None
