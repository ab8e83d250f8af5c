"""Polls and quick ratings over the live channel: asked, answered, tallied, closed, logged."""

from __future__ import annotations

from typing import Any

from imr_live.domain.live_state import LiveState
from imr_live.domain.roles import StaffRole
from tests.live.harness import LiveClient, Server, Staff, guest
from tests.live.test_whole_session import admit_all


async def room_of(
    server: Server, clients: int
) -> tuple[Staff, str, LiveClient, list[LiveClient], list[str]]:
    """A leader in a fresh session and ``clients`` admitted clients."""
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    people = [await guest(server, await clinician.invite(sid)) for _ in range(clients)]
    ids = await admit_all(leader, people, [f"Client {n}" for n in range(clients)])
    return clinician, sid, leader, people, ids


def tallies(client: LiveClient) -> list[dict[str, Any]]:
    return [d for n, d in client.received if n == "poll.tally"]


async def logged(server: Server, sid: str, prefix: str) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (e.kind, e.actor, e.data)
        for e in await server.services.log.read(sid)
        if e.kind.startswith(prefix)
    ]


async def test_answers_reach_the_leader_and_the_room_sees_only_counts(any_server: Server) -> None:
    server = any_server
    clinician, sid, leader, (ann, ben), (ann_id, ben_id) = await room_of(server, 2)
    asked = {"question": "Which helps you most?", "options": ["Walks", "Music", "Talking"]}
    opened = await leader.ok("poll.open", {**asked, "multiple": True, "show_results": True})
    poll_id = opened["poll_id"]
    shown = await ann.wait_event("poll.opened", poll_id=poll_id)
    assert shown["data"]["options"] == asked["options"] and shown["data"]["multiple"] is True

    await ann.ok("poll.answer", {"poll_id": poll_id, "choices": [0, 2]})
    await ben.ok("poll.answer", {"poll_id": poll_id, "choices": [1]})
    await ann.ok("poll.answer", {"poll_id": poll_id, "choices": [2]})  # changed her mind
    final = await ben.wait_for(lambda n, d: n == "poll.tally" and d["counts"] == [0, 1, 1])
    assert final["answered"] == 2
    await ann.wait_for(lambda n, d: n == "poll.tally" and d["counts"] == [0, 1, 1])
    # The leader hears who chose what; each client hears only their own answer.
    await leader.wait_event("poll.answered", participant=ben_id, choices=[1])
    assert {e["data"]["participant"] for e in ann.events("poll.answered")} == {ann_id}
    assert {e["data"]["participant"] for e in ben.events("poll.answered")} == {ben_id}

    # A late joiner sees the open poll with its counts, but not who answered.
    cara = await guest(server, await clinician.invite(sid))
    (cara_id,) = await admit_all(leader, [cara], ["Cara"])
    welcome = await cara.wait_for(lambda n, _d: n == "admitted")
    poll = welcome["state"]["poll"]
    assert (poll["poll_id"], poll["counts"], poll["answered"]) == (poll_id, [0, 1, 1], 2)
    assert poll["answers"] is None and poll["mine"] is None
    await cara.ok("poll.answer", {"poll_id": poll_id, "choices": [0, 1]})
    # The leader's own view after a reload has every answer.
    again = await leader.ok("join")
    assert again["state"]["poll"]["answers"] == {ann_id: [2], ben_id: [1], cara_id: [0, 1]}

    await leader.ok("poll.close", {"poll_id": poll_id, "share": True})
    closed = await cara.wait_event("poll.closed", poll_id=poll_id)
    assert closed["data"] == {
        "poll_id": poll_id,
        "answered": 3,
        "shared": True,
        "counts": [1, 2, 1],
    }
    rows = await logged(server, sid, "poll.")
    assert [(k, a) for k, a, _d in rows] == [
        ("poll.opened", clinician.id),
        ("poll.answered", ann_id),
        ("poll.answered", ben_id),
        ("poll.answered", ann_id),
        ("poll.answered", cara_id),
        ("poll.closed", clinician.id),
    ]
    assert (await ann.ok("join"))["state"]["poll"] is None
    status, review = await clinician.api("GET", f"/api/sessions/{sid}/timeline?groups=polls")
    assert status == 200
    said = [e["summary"] for e in review["entries"]]
    assert said[0] == "dana asked the group: Which helps you most? (Walks / Music / Talking)"
    assert said[1] == "Client 0 answered the poll: option 1, 3"
    assert said[-1] == "dana closed the poll (3 answered; shown to the group: [1, 2, 1])"


async def test_hidden_results_stay_with_the_staff_until_shared(server: Server) -> None:
    co = await server.staff("sam", StaffRole.CO_LEADER)
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(co_leader_ids=[co.id]))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    co_leader = await co.connect(sid)
    await co_leader.ok("join")
    ann, ben = [await guest(server, await clinician.invite(sid)) for _ in range(2)]
    await admit_all(leader, [ann, ben], ["Ann", "Ben"])
    # No options: a quick rating from 1 to 5.
    opened = await co_leader.ok("poll.open", {"question": "How do you feel today?"})
    poll_id = opened["poll_id"]
    rating = await ann.wait_event("poll.opened", poll_id=poll_id)
    assert rating["data"]["options"] == ["1", "2", "3", "4", "5"]
    await ann.ok("poll.answer", {"poll_id": poll_id, "choices": [3]})
    await ben.ok("poll.answer", {"poll_id": poll_id, "choices": [4]})
    await leader.wait_for(lambda n, d: n == "poll.tally" and d["counts"] == [0, 0, 0, 1, 1])
    assert (await ben.ok("join"))["state"]["poll"]["counts"] is None
    assert (await ben.ok("join"))["state"]["poll"]["mine"] == [4]
    await leader.ok("poll.close", {"poll_id": poll_id})
    closed = await ann.wait_event("poll.closed", poll_id=poll_id)
    assert closed["data"] == {"poll_id": poll_id, "answered": 2, "shared": False}
    # The closing event came after every answer: by then a tally would have arrived.
    assert tallies(ann) == [] and tallies(ben) == []
    assert ann.events("poll.answered")[0]["data"]["choices"] == [3]
    assert [e["data"]["participant"] for e in ann.events("poll.answered")] == [
        ann.events("poll.answered")[0]["data"]["participant"]
    ]


async def test_bad_answers_are_refused_and_change_nothing(server: Server) -> None:
    _clinician, sid, leader, (ann,), _ids = await room_of(server, 1)
    poll_id = (await leader.ok("poll.open", {"question": "Pick one", "options": ["Yes", "No"]}))[
        "poll_id"
    ]
    before = await logged(server, sid, "")
    refusals = [
        (ann, "poll.answer", {"poll_id": poll_id, "choices": [2]}, "invalid"),
        (ann, "poll.answer", {"poll_id": poll_id, "choices": [0, 1]}, "invalid"),
        (ann, "poll.answer", {"poll_id": poll_id, "choices": []}, "invalid"),
        (ann, "poll.answer", {"poll_id": "p_nope", "choices": [0]}, "poll_closed"),
        (ann, "poll.open", {"question": "Mine?", "options": ["a", "b"]}, "forbidden"),
        (ann, "poll.close", {"poll_id": poll_id}, "forbidden"),
        (leader, "poll.answer", {"poll_id": poll_id, "choices": [0]}, "forbidden"),
        (leader, "poll.open", {"question": "Second?"}, "conflict"),
        (leader, "poll.open", {"question": "Same?", "options": ["a", "a"]}, "invalid"),
        (leader, "poll.open", {"question": "One?", "options": ["a"]}, "invalid"),
        (
            leader,
            "poll.open",
            {"question": "Many?", "options": [str(n) for n in range(9)]},
            "invalid",
        ),
    ]
    for who, event, payload, code in refusals:
        ack = await who.call(event, payload)
        assert not ack["ok"] and ack["error"]["code"] == code, (event, payload, ack)
    assert await logged(server, sid, "") == before
    await leader.ok("poll.close", {"poll_id": poll_id})
    ack = await ann.call("poll.answer", {"poll_id": poll_id, "choices": [0]})
    assert ack["error"]["code"] == "poll_closed"
    assert (await leader.call("poll.close", {"poll_id": poll_id}))["error"]["code"] == "poll_closed"


async def test_the_open_poll_is_rebuilt_from_the_log_alone(server: Server) -> None:
    _clinician, sid, leader, (ann, ben), (ann_id, ben_id) = await room_of(server, 2)
    poll_id = (
        await leader.ok("poll.open", {"question": "Tea or coffee?", "options": ["Tea", "Coffee"]})
    )["poll_id"]
    await ann.ok("poll.answer", {"poll_id": poll_id, "choices": [1]})
    await ben.ok("poll.answer", {"poll_id": poll_id, "choices": [0]})
    state = LiveState(sid)
    for event in await server.services.log.read(sid):
        state.apply(event)
    staff = state.snapshot(for_staff=True).poll
    assert staff is not None and staff.answers == {ann_id: [1], ben_id: [0]}
    client = state.snapshot(for_staff=False, viewer=ann_id).poll
    assert client is not None and (client.counts, client.mine, client.answers) == (None, [1], None)


async def test_a_poll_from_the_script_is_asked_with_its_own_words(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(script_ref="recovery-strategies/1"))["id"]
    status, script = await clinician.api("GET", f"/api/sessions/{sid}/script")
    assert status == 200
    ref = script["polls"][1]["id"]
    assert ref == "recovery-strategies/1/what-helps"
    leader = await clinician.connect(sid)
    await leader.ok("join")
    (ann,) = [await guest(server, await clinician.invite(sid))]
    await admit_all(leader, [ann], ["Ann"])
    for bad, code in [
        ({"poll_ref": "recovery-strategies/1/no-such-poll"}, "not_found"),
        ({"poll_ref": ref, "question": "Mine?"}, "invalid"),
        ({"poll_ref": ref, "options": ["a", "b"]}, "invalid"),
        ({}, "invalid"),
    ]:
        assert (await leader.call("poll.open", bad))["error"]["code"] == code, bad
    poll_id = (await leader.ok("poll.open", {"poll_ref": ref}))["poll_id"]
    asked = await ann.wait_event("poll.opened", poll_id=poll_id)
    assert asked["data"]["question"] == script["polls"][1]["question"]
    assert asked["data"]["options"] == script["polls"][1]["options"]
    assert (asked["data"]["multiple"], asked["data"]["ref"]) == (True, ref)
    await ann.ok("poll.answer", {"poll_id": poll_id, "choices": [0, 2]})
