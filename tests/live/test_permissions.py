"""Every role tries every action; only what its role allows goes through."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import socketio

from imr_live.domain.events import COMMANDS
from imr_live.domain.roles import Role, StaffRole
from tests.live.harness import LiveClient, Server, Staff, guest, start_server
from tests.live.test_whole_session import first_script

Ctx = dict[str, Any]
ACTIONS: list[tuple[str, Callable[[Ctx], dict[str, Any]]]] = [
    ("chat.send", lambda c: {"text": "hello"}),
    ("hand.raise", lambda c: {}),
    ("hand.lower", lambda c: {}),
    ("consent.set", lambda c: {"recording": True}),
    ("slide.show", lambda c: {"index": 0}),
    ("roleplay.start", lambda c: {"role_play_id": c["role_play"], "cast": {"client": c["victim"]}}),
    ("roleplay.step", lambda c: {"step": 1}),
    ("roleplay.end", lambda c: {}),
    ("participant.rename", lambda c: {"participant": c["victim"], "display_name": "Vee"}),
    ("participant.mute_request", lambda c: {"participant": c["victim"], "kind": "audio"}),
    ("assignment.give", lambda c: {"participant": c["victim"], "text": "Walk 10 minutes"}),
    (
        "assignment.review",
        lambda c: {"participant": c["victim"], "assignment_id": c["assignment"], "done": True},
    ),
    ("goal.note", lambda c: {"participant": c["victim"], "goal": "Sleep better"}),
    (
        "goal.update",
        lambda c: {"participant": c["victim"], "goal_id": c["goal"], "status": "achieved"},
    ),
    (
        "scale.record",
        lambda c: {"participant": c["victim"], "rater": "clinician", "items": [3] * 15},
    ),
    (
        "module.complete",
        lambda c: {
            "participant": c["victim"],
            "module": c["module"],
            "reason": "Did it one to one",
        },
    ),
    ("poll.open", lambda c: {"question": "How is your week?"}),
    ("poll.answer", lambda c: {"poll_id": "p_000000000000", "choices": [0]}),
    ("poll.close", lambda c: {"poll_id": "p_000000000000"}),
    ("celebration.answer", lambda c: {"celebration_id": "c_000000000000", "yes": True}),
    ("pairs.end", lambda c: {}),
    ("waiting.admit", lambda c: {"participant": c["waiting"][0]}),
    ("waiting.deny", lambda c: {"participant": c["waiting"][1]}),
    ("session.lock", lambda c: {"locked": True}),
    ("recording.set", lambda c: {"on": True}),
    ("participant.remove", lambda c: {"participant": c["victim"]}),
    ("session.end", lambda c: {}),
]
# Allowed, but the state refuses it in this set-up: recording needs the media server.
STATE_REFUSALS = {
    "recording.set": "unavailable",
    # No such poll, offer or pairs: the role passed, the state refused.
    "poll.answer": "poll_closed",
    "poll.close": "poll_closed",
    "celebration.answer": "not_found",
    "pairs.end": "out_of_order",
}
# The role may do it, but only for itself: a client rates only their own recovery.
ONLY_FOR_SELF = {("client", "scale.record")}
# Leads may do it, but only signed-in staff: a co-leader by link is not the clinician.
STAFF_ONLY = {"scale.record", "module.complete"}

STAFF_ROLES = {
    Role.LEADER: None,
    Role.CO_LEADER: StaffRole.CO_LEADER,
    Role.SUPERVISOR: StaffRole.SUPERVISOR,
}
INVITE_ROLES = ["client", "supporter", "guest_speaker", "observer", "co_leader"]


async def admitted_guest(
    server: Server, leader: LiveClient, token: str, name: str
) -> tuple[LiveClient, str]:
    client = await guest(server, token)
    ack = await client.ok("join", {"display_name": name})
    pid = ack["you"]["id"]
    if ack["status"] == "waiting":
        await leader.ok("waiting.admit", {"participant": pid})
        await client.wait_for(lambda n, _d: n == "admitted")
    return client, pid


async def lead_and_two_clients(
    server: Server,
) -> tuple[Staff, str, LiveClient, tuple[LiveClient, str], tuple[LiveClient, str]]:
    """dana's new session with dana in it and two admitted clients, Ann and Ben."""
    clinician = await server.staff("dana")
    sid = str((await clinician.create_session())["id"])
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    ben = await admitted_guest(server, leader, await clinician.invite(sid), "Ben")
    return clinician, sid, leader, ann, ben


async def set_up(server: Server, role: str, by_invite: bool) -> tuple[LiveClient, Role, Ctx]:
    clinician = await server.staff(f"lead-{role}-{by_invite}")
    ref, _slides, role_play = first_script(server)
    co_ids, actor_staff = [], None
    if not by_invite and role != "leader":
        actor_staff = await server.staff(f"{role}-staff", STAFF_ROLES[Role(role)])
        if role == "co_leader":
            co_ids = [actor_staff.id]
    sid = (await clinician.create_session(script_ref=ref, co_leader_ids=co_ids))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    _victim, victim_id = await admitted_guest(server, leader, await clinician.invite(sid), "Vic")
    # Reviews and goal updates take only the victim's own records (given by the leader).
    given = await leader.ok("assignment.give", {"participant": victim_id, "text": "Walk"})
    noted = await leader.ok("goal.note", {"participant": victim_id, "goal": "Sleep"})
    waiting = []
    for name in ("Wes", "Wyn"):
        w = await guest(server, await clinician.invite(sid))
        waiting.append((await w.ok("join", {"display_name": name}))["you"]["id"])
    if role == "leader":
        actor = leader
    elif actor_staff is not None:
        actor = await actor_staff.connect(sid)
        await actor.ok("join")
    else:
        actor, _ = await admitted_guest(server, leader, await clinician.invite(sid, role), "Tess")
    ctx = {
        "victim": victim_id,
        "waiting": waiting,
        "role_play": role_play,
        "assignment": given["assignment_id"],
        "goal": noted["goal_id"],
        "module": server.services.scripts.curriculum.session(ref).module_id,  # type: ignore[union-attr]
    }
    return actor, Role(role), ctx


@pytest.fixture
async def fast_server(tmp_path: Path) -> AsyncIterator[Server]:
    """A server that takes events as fast as a test sends them: one role's every command
    back to back (with its set-up, some 45 events in well under a second on a quiet
    machine) is faster than anyone clicks, and the budgets are tested on their own
    (tests/live/test_flood_fairness.py, tests/live/test_bad_input.py)."""
    fast = {"events_per_second": 1000.0, "event_burst": 1000}
    srv = await start_server(
        tmp_path, **fast, address_events_per_second=1000.0, address_event_burst=1000
    )
    try:
        yield srv
    finally:
        await srv.stop()


@pytest.mark.parametrize(
    ("role", "by_invite"),
    [("leader", False), ("co_leader", False), ("supervisor", False)]
    + [(r, True) for r in INVITE_ROLES],
)
async def test_each_role_can_do_exactly_what_it_is_allowed(
    fast_server: Server, role: str, by_invite: bool
) -> None:
    actor, r, ctx = await set_up(fast_server, role, by_invite)
    outcomes = {}
    for action, payload in ACTIONS:
        ack = await actor.call(action, payload(ctx))
        outcomes[action] = "ok" if ack["ok"] else ack["error"]["code"]
    for action, outcome in outcomes.items():
        if (role, action) in ONLY_FOR_SELF or (by_invite and action in STAFF_ONLY):
            assert outcome == "forbidden", (role, action, outcome)
        elif r in COMMANDS[action].who:
            assert outcome == STATE_REFUSALS.get(action, "ok"), (role, action, outcome)
        else:
            assert outcome == "forbidden", (role, action, outcome)


async def test_nobody_gets_in_without_a_valid_link_or_login(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    token = await clinician.invite(sid)
    bad_auths: list[Any] = [
        None,
        {},
        {"token": token[:-3] + "AAA"},
        {"token": "x" * 500},
        {"session": sid, "staff_token": "not-a-login"},
        {"session": sid},
    ]
    for auth in bad_auths:
        with pytest.raises(socketio.exceptions.ConnectionError):
            await LiveClient.open(server.url, auth)


async def test_expired_and_revoked_links_stop_working(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    expired, revoked = await clinician.invite(sid), await clinician.invite(sid)
    await server.services.db.execute(
        "UPDATE invites SET expires_at = 1 WHERE id = ?", expired.split(".")[0]
    )
    status, _ = await clinician.api(
        "DELETE", f"/api/sessions/{sid}/invites/{revoked.split('.')[0]}"
    )
    assert status == 200
    for token, code in ((expired, "link_expired"), (revoked, "link_revoked")):
        client = socketio.AsyncClient(reconnection=False)
        errors: list[Any] = []
        client.on("connect_error", lambda data, errors=errors: errors.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(server.url, auth={"token": token}, transports=["websocket"])
        assert errors and errors[0]["data"]["code"] == code


async def test_a_removed_client_cannot_come_back_by_the_same_link(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    token = await clinician.invite(sid)
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, pid = await admitted_guest(server, leader, token, "Ray")
    await leader.ok("participant.remove", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "removed")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await LiveClient.open(server.url, {"token": token})


async def test_staff_without_a_role_in_the_session_cannot_join_it(server: Server) -> None:
    owner = await server.staff("dana")
    other = await server.staff("eve")
    sid = (await owner.create_session())["id"]
    with pytest.raises(socketio.exceptions.ConnectionError):
        await other.connect(sid)
    status, body = await other.api("POST", f"/api/sessions/{sid}/invites", json={"role": "client"})
    assert status == 403 and body["error"]["code"] == "forbidden"


async def test_a_client_rates_their_own_recovery_and_nobody_elses(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann, ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    _ben, ben_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ben")
    # Item 13 (medicine) is the one the instrument lets be "does not apply".
    own = {"participant": ann_id, "rater": "client", "items": [4] * 12 + [None, 5, 5]}
    assert (await ann.ok("scale.record", own))["total"] == 58
    for bad, code in [
        ({**own, "participant": ben_id}, "forbidden"),
        ({**own, "rater": "clinician"}, "forbidden"),
        ({**own, "items": [4] * 14}, "invalid"),  # the old form's 14 items
        ({**own, "items": [4] * 15 + [4]}, "invalid"),
        ({**own, "items": [6] * 15}, "invalid"),
        ({**own, "items": [None] + [4] * 14}, "invalid"),  # goals always apply
        ({**own, "items": [4] * 13 + [None, 4]}, "invalid"),  # so does alcohol
    ]:
        assert (await ann.call("scale.record", bad))["error"]["code"] == code
    rated = await leader.ok("scale.record", {**own, "rater": "clinician", "items": [2] * 15})
    assert rated["total"] == 30
    logged = [e.data for e in await server.services.log.read(sid) if e.kind == "scale.recorded"]
    assert logged == [
        {**own, "total": 58, "rated_by_role": "client"},
        {**own, "rater": "clinician", "items": [2] * 15, "total": 30, "rated_by_role": "leader"},
    ]


async def test_a_co_leader_by_link_enters_a_clients_answers_but_not_a_clinician_rating(
    server: Server,
) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    _ann, ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    co, _ = await admitted_guest(server, leader, await clinician.invite(sid, "co_leader"), "Cole")
    rating = {"participant": ann_id, "rater": "clinician", "items": [3] * 15}
    refused = await co.call("scale.record", rating)
    assert refused["error"]["code"] == "forbidden"
    assert "staff" in refused["error"]["message"]
    entered = await co.ok("scale.record", {**rating, "rater": "client"})
    assert entered["total"] == 45
    logged = [e.data for e in await server.services.log.read(sid) if e.kind == "scale.recorded"]
    assert [(d["rater"], d["rated_by_role"]) for d in logged] == [("client", "co_leader")]
