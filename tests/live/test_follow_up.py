"""Home practice and goals carried from one session to the next for the same client.

Two real sessions with the same ``client_ref``: what was given in the first is
listed for the second's leads (`GET /api/sessions/{id}/follow-up`, audited, others
refused), and `assignment.review` / `goal.update` take only ids that belong to that
participant's client, here or in an earlier session.
"""

from __future__ import annotations

from typing import Any

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from tests.live.harness import LiveClient, Server, Staff
from tests.live.test_permissions import admitted_guest

ANN, BEN = "C-0042", "C-0043"


async def first_session(server: Server, dana: Staff) -> dict[str, Any]:
    """Session 1: Ann and Ben get practice and a goal each; the session ends."""
    sid = (await dana.create_session(title="Week 1"))["id"]
    leader = await dana.connect(sid)
    await leader.ok("join")
    ann, ann_pid = await admitted_guest(server, leader, await dana.invite(sid, client_ref=ANN), "A")
    _ben, ben_pid = await admitted_guest(
        server, leader, await dana.invite(sid, client_ref=BEN), "B"
    )
    out: dict[str, Any] = {"sid": sid}
    for who, pid in (("ann", ann_pid), ("ben", ben_pid)):
        ack = await leader.ok(
            "assignment.give", {"participant": pid, "text": f"{who} practice", "ref": "m1/s1"}
        )
        out[f"{who}_assignment"] = ack["assignment_id"]
        ack = await leader.ok(
            "goal.note", {"participant": pid, "goal": f"{who} goal", "short_term": []}
        )
        out[f"{who}_goal"] = ack["goal_id"]
    done_here = await leader.ok(
        "assignment.give", {"participant": ann_pid, "text": "reviewed already"}
    )
    await leader.ok(
        "assignment.review",
        {"participant": ann_pid, "assignment_id": done_here["assignment_id"], "done": True},
    )
    await leader.ok("session.end")
    await ann.close()
    return out


async def second_session(server: Server, dana: Staff) -> tuple[str, LiveClient, str, str]:
    """Session 2: Ann (same client_ref) and Cy (no client_ref) are in the room."""
    sid = (await dana.create_session(title="Week 2"))["id"]
    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann_pid = await admitted_guest(
        server, leader, await dana.invite(sid, client_ref=ANN), "A"
    )
    _cy, cy_pid = await admitted_guest(server, leader, await dana.invite(sid), "C")
    return sid, leader, ann_pid, cy_pid


async def test_earlier_practice_is_listed_reviewed_and_counted(server: Server) -> None:
    dana = await server.staff("dana")
    week1 = await first_session(server, dana)
    sid, leader, ann_pid, _cy = await second_session(server, dana)

    status, body = await dana.api("GET", f"/api/sessions/{sid}/follow-up")
    assert status == 200, body
    [ann] = body["clients"]
    assert (ann["participant"], ann["client_ref"]) == (ann_pid, ANN)
    [practice] = ann["assignments"]
    assert practice["assignment_id"] == week1["ann_assignment"]
    assert (practice["text"], practice["ref"], practice["status"]) == (
        "ann practice",
        "m1/s1",
        "open",
    )
    assert practice["session_id"] == week1["sid"]
    assert practice["given_at"] > 0 and practice["session_scheduled_at"] > 0
    [goal] = ann["goals"]
    assert (goal["goal_id"], goal["goal"], goal["status"]) == (
        week1["ann_goal"],
        "ann goal",
        "noted",
    )
    audit = await AuditLog(server.services.db).entries(f"client:{ANN}")
    assert [(e.account_id, e.action) for e in audit] == [(dana.id, "view.follow_up")]

    review = {"participant": ann_pid, "assignment_id": week1["ann_assignment"], "done": True}
    await leader.ok("assignment.review", {**review, "note": "Four days"})
    await leader.ok(
        "goal.update",
        {"participant": ann_pid, "goal_id": week1["ann_goal"], "status": "in_progress"},
    )
    [reviewed] = [
        e.data for e in await server.services.log.read(sid) if e.kind == "assignment.reviewed"
    ]
    assert reviewed["assignment_id"] == week1["ann_assignment"]

    _, body = await dana.api("GET", f"/api/sessions/{sid}/follow-up")
    assert body["clients"][0]["assignments"] == []
    assert body["clients"][0]["goals"] == []  # updated here: followed up this session

    status, report = await dana.api("GET", f"/api/reports/clients/{ANN}")
    assert status == 200, report
    assert report["figures"]["assignments_given"] == 2
    assert report["figures"]["assignments_done"] == 2


async def test_only_the_sessions_leads_see_the_follow_up(server: Server) -> None:
    dana = await server.staff("dana")
    await first_session(server, dana)
    sid, _leader, _ann, _cy = await second_session(server, dana)
    token = await dana.invite(sid, client_ref=ANN)
    other = await server.staff("olga")
    supervisor = await server.staff("sam", StaffRole.SUPERVISOR)
    admin = await server.staff("ada", StaffRole.ADMIN)
    path = f"/api/sessions/{sid}/follow-up"
    for who in (other, supervisor, admin):
        status, body = await who.api("GET", path)
        assert (status, body["error"]["code"]) == (403, "forbidden")
    anonymous = await server.staff("nobody")
    del anonymous.http.headers["Authorization"]
    assert (await anonymous.api("GET", path))[0] == 401
    anonymous.http.headers["Authorization"] = f"Bearer {token}"
    assert (await anonymous.api("GET", path))[0] == 401
    assert await AuditLog(server.services.db).entries(f"client:{ANN}") == []


async def test_a_review_or_update_of_someone_elses_record_is_refused(server: Server) -> None:
    dana = await server.staff("dana")
    week1 = await first_session(server, dana)
    sid, leader, ann_pid, cy_pid = await second_session(server, dana)
    before = await server.services.log.read(sid)
    refused = [
        ("assignment.review", ann_pid, "assignment_id", week1["ben_assignment"]),
        ("assignment.review", ann_pid, "assignment_id", "a_made_up"),
        ("assignment.review", cy_pid, "assignment_id", week1["ann_assignment"]),
        ("goal.update", ann_pid, "goal_id", week1["ben_goal"]),
        ("goal.update", cy_pid, "goal_id", week1["ann_goal"]),
        ("goal.update", ann_pid, "goal_id", week1["ann_assignment"]),
    ]
    for event, pid, field, item in refused:
        payload: dict[str, Any] = {"participant": pid, field: item}
        payload.update({"done": True} if event == "assignment.review" else {"status": "achieved"})
        ack = await leader.call(event, payload)
        assert ack["ok"] is False, (event, pid, item)
        assert ack["error"]["code"] == "not_found", ack
        assert ack["error"]["message"].startswith(f"{field}: no such")
    assert await server.services.log.read(sid) == before

    # What was given to Cy in this very session is theirs (no client_ref needed).
    given = await leader.ok("assignment.give", {"participant": cy_pid, "text": "Cy practice"})
    await leader.ok(
        "assignment.review",
        {"participant": cy_pid, "assignment_id": given["assignment_id"], "done": False},
    )
