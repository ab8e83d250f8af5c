"""Interpreter join links: a named language, whom they interpret for, logged, never a client."""

from __future__ import annotations

from imr_live.domain.roles import Role
from imr_live.reports.attendance import attendance
from tests.live.harness import Server, guest
from tests.live.test_permissions import admitted_guest


async def test_an_interpreter_link_names_a_language_and_a_person_of_this_session(
    server: Server,
) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    other = (await clinician.create_session(title="Other group"))["id"]
    ann_id = (await clinician.invite(sid)).split(".")[0]
    elsewhere = (await clinician.invite(other)).split(".")[0]
    url = f"/api/sessions/{sid}/invites"
    refusals = {
        "no language": {"role": "interpreter"},
        "not a language": {"role": "interpreter", "language": "<b>x</b>"},
        "a client with a language": {"role": "client", "language": "Spanish"},
        "someone of another session": {
            "role": "interpreter",
            "language": "Spanish",
            "interprets_for": elsewhere,
        },
        "a number for a person": {
            "role": "interpreter",
            "language": "Spanish",
            "interprets_for": 7,
        },
    }
    for what, body in refusals.items():
        status, data = await clinician.api("POST", url, json=body)
        assert status == 400 and data["error"]["code"] == "invalid", what
    body = {"role": "interpreter", "language": "Spanish", "interprets_for": ann_id}
    status, data = await clinician.api("POST", url, json=body)
    assert status == 201, data
    assert (data["invite"]["language"], data["invite"]["interprets_for"]) == ("Spanish", ann_id)
    status, listed = await clinician.api("GET", url)
    mine = [i for i in listed["invites"] if i["role"] == "interpreter"]
    assert [(i["language"], i["interprets_for"]) for i in mine] == [("Spanish", ann_id)]


async def test_an_interpreter_waits_is_seen_with_their_language_is_logged_and_is_not_a_client(
    server: Server,
) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    ann_token = await clinician.invite(sid, client_ref="C-1")
    ann_id = ann_token.split(".")[0]
    token = await clinician.invite(
        sid, role="interpreter", language="Spanish", interprets_for=ann_id
    )
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann, _ = await admitted_guest(server, leader, ann_token, "Ann")

    rosa = await guest(server, token)
    waiting = await rosa.ok("join", {"display_name": "Rosa"})
    assert waiting["status"] == "waiting"
    joined = await leader.wait_event("participant.joined", display_name="Rosa")
    assert joined["data"]["role"] == "interpreter"
    assert (joined["data"]["language"], joined["data"]["interprets_for"]) == ("Spanish", ann_id)
    rosa_id = waiting["you"]["id"]
    await leader.ok("waiting.admit", {"participant": rosa_id})
    await rosa.wait_for(lambda n, _d: n == "admitted")

    # The person Rosa interprets for sees her, with the language, to pin her beside the leader.
    state = (await ann.ok("join", {"display_name": "Ann"}))["state"]
    seen = {p["id"]: p for p in state["people"]}[rosa_id]
    assert (seen["role"], seen["language"], seen["interprets_for"]) == (
        "interpreter",
        "Spanish",
        ann_id,
    )
    # An interpreter speaks (chat) but does not run the session, nor hide as a group member.
    await rosa.ok("chat.send", {"text": "Hola"})
    assert (await rosa.call("waiting.admit", {"participant": ann_id}))["error"]["code"] == (
        "forbidden"
    )
    assert (await rosa.call("privacy.show_me", {"show": True}))["error"]["code"] == "forbidden"
    await rosa.ok("leave")
    await leader.wait_event("participant.left", participant=rosa_id)

    # Joins and leaves are in the log; attendance lists her, never as a client.
    events = await server.services.log.read(sid)
    hers = [e.kind for e in events if e.data.get("participant") == rosa_id]
    assert hers == ["participant.joined", "participant.admitted", "participant.left"]
    session = await server.services.sessions.get(sid)
    report = attendance(session, events, {ann_id: "C-1"})
    assert [p.participant for p in report.clients()] == [ann_id]
    rows = {p.participant: p for p in report.people}
    assert rows[rosa_id].role == Role.INTERPRETER.value and rows[rosa_id].attended
    status, body = await clinician.api("GET", f"/api/sessions/{sid}/attendance")
    assert status == 200
    roles = {p["participant"]: p["role"] for p in body["people"]}
    assert roles[rosa_id] == "interpreter" and roles[ann_id] == "client"
