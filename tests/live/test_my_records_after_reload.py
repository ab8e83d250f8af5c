"""A client's home practice and goal stay on their screen after a reload; nobody else sees them."""

from __future__ import annotations

from tests.live.harness import Server, guest
from tests.live.test_permissions import admitted_guest


async def test_a_reloading_client_gets_their_own_practice_and_goal_back(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann_token = await clinician.invite(sid)
    ann, ann_id = await admitted_guest(server, leader, ann_token, "Ann")
    _bob, bob_id = await admitted_guest(server, leader, await clinician.invite(sid), "Bob")
    given = await leader.ok(
        "assignment.give", {"participant": ann_id, "text": "Walk ten minutes each day"}
    )
    await leader.ok(
        "goal.note",
        {
            "participant": ann_id,
            "goal": "Sleep better",
            "short_term": [{"goal": "Bed by 11", "steps": ["No phone after 10"]}],
        },
    )
    await leader.ok("assignment.give", {"participant": bob_id, "text": "Call a friend"})
    await ann.close()  # a reload: the old connection goes, a new one joins
    again = await guest(server, ann_token)
    state = (await again.ok("join", {"display_name": "Ann"}))["state"]
    assert [p["text"] for p in state["practice"]] == ["Walk ten minutes each day"]
    assert state["practice"][0]["assignment_id"] == given["assignment_id"]
    assert state["goals"][0]["goal"] == "Sleep better"
    assert state["goals"][0]["steps"] == ["Bed by 11", "No phone after 10"]
    # The leader's own reload shows every client's records of this session.
    staff_view = (await (await clinician.connect(sid)).ok("join"))["state"]
    assert {p["participant"] for p in staff_view["practice"]} == {ann_id, bob_id}
