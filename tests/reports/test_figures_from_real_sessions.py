"""Report figures equal what we work out by hand from the stored log of real sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server, start_server
from tests.reports.scenario import at_of, held_session, run_scenario, two_modules

S = 1_000_000


def by_participant(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["participant"]: p for p in report["people"]}


async def test_attendance_counts_minutes_drops_rejoins_and_lateness(any_server: Server) -> None:
    sc = await run_scenario(any_server)
    sid, pids = sc.sessions[0]["id"], sc.pids[0]
    log = await sc.log(any_server, 0)
    started, ended = at_of(log, "session.started"), at_of(log, "session.ended")
    status, report = await sc.dana.api("GET", f"/api/sessions/{sid}/attendance")
    assert status == 200, report
    rows = by_participant(report)

    ann = rows[pids["ann"]]
    ann_in = at_of(log, "participant.admitted", participant=pids["ann"])
    assert ann["present_s"] == (ended - ann_in) // S
    assert (ann["drops"], ann["rejoins"], ann["left_early"]) == (0, 0, False)
    assert ann["client_ref"] == "C-001" and ann["display_name"] == "Ann"

    ben = rows[pids["ben"]]
    ben_in = at_of(log, "participant.admitted", participant=pids["ben"])
    ben_out = at_of(log, "participant.dropped", participant=pids["ben"])
    ben_back = at_of(log, "participant.rejoined", participant=pids["ben"])
    assert ben["present_s"] == ((ben_out - ben_in) + (ended - ben_back)) // S
    assert (ben["drops"], ben["rejoins"], ben["left_early"]) == (1, 1, False)

    cy = rows[pids["cy"]]
    cy_came = at_of(log, "participant.joined", participant=pids["cy"])
    cy_in = at_of(log, "participant.admitted", participant=pids["cy"])
    cy_out = at_of(log, "participant.left", participant=pids["cy"])
    assert cy["late_s"] == (cy_came - started) // S >= 1
    assert cy["present_s"] == (cy_out - cy_in) // S
    assert cy["left_early"] is True and cy["first_arrival"] == cy_came
    assert report["reference_start"] == max(started, sc.sessions[0]["scheduled_at"])
    assert rows[sc.dana.id]["role"] == "leader" and rows[sc.dana.id]["late_s"] == 0


async def test_client_reports_follow_each_client_across_sessions(server: Server) -> None:
    sc = await run_scenario(server)
    ref1, ref2, _ = two_modules(server)
    module1, module2 = ref1.split("/")[0], ref2.split("/")[0]
    assert module1 != module2

    status, ann = await sc.dana.api("GET", "/api/reports/clients/C-001")
    assert status == 200, ann
    assert ann["figures"] == {
        "sessions_invited": 2,
        "sessions_attended": 2,
        "sessions_missed": 0,
        "sessions_pending": 0,
        "sessions_withdrawn": 0,
        "modules_covered": sorted([module1, module2]),
        "sessions_per_module": {module1: 1, module2: 1},
        "sessions_per_variant": {"core": 2},
        "plan": "group-standard",
        "modules_planned": 11,
        "modules_completed": [],  # one session of each three-session module
        "graduated": False,
        "assignments_given": 1,
        "assignments_done": 1,
        "goals_set": 1,
        "goals_achieved": 1,
    }
    assert [g["status"] for g in ann["goals"]] == ["achieved"]

    _, ben = await sc.dana.api("GET", "/api/reports/clients/C-002")
    assert (ben["figures"]["assignments_given"], ben["figures"]["assignments_done"]) == (1, 0)
    assert [a["status"] for a in ben["assignments"]] == ["not_done"]
    assert [s["drops"] for s in ben["sessions"]] == [1, 0]

    _, cy = await sc.dana.api("GET", "/api/reports/clients/C-003")
    assert [s["status"] for s in cy["sessions"]] == ["attended", "missed"]
    assert cy["figures"]["sessions_per_module"] == {module1: 1}


async def test_program_report_gives_volume_attendance_rate_and_fidelity(server: Server) -> None:
    sc = await run_scenario(server)
    other = await server.staff("olly")
    await other.create_session(title="Never held")
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    status, report = await sue.api("GET", "/api/reports/program")
    assert status == 200, report
    rows = {r["label"]: r for r in report["rows"]}
    dana = rows["dana"]
    # Session 1: Ann, Ben, Cy all came; session 2: Cy missed. 5 of 6 client places.
    assert (dana["sessions_scheduled"], dana["sessions_held"]) == (2, 2)
    assert dana["formats"] == {"group": 2}
    assert (dana["client_places"], dana["client_attendances"]) == (6, 5)
    assert dana["attendance_rate"] == round(5 / 6, 3)
    assert dana["fidelity_sessions"] == {
        "role_play": 1,
        "assignment_given": 1,
        "assignment_review": 1,
        "goal_follow_up": 1,
    }
    assert dana["fidelity_share"]["role_play"] == 0.5
    assert (rows["olly"]["sessions_scheduled"], rows["olly"]["sessions_held"]) == (1, 0)
    assert rows["olly"]["attendance_rate"] is None
    assert report["total"]["sessions_scheduled"] == 3

    _, by_title = await sue.api("GET", "/api/reports/program?by=title")
    assert {r["label"]: r["sessions_held"] for r in by_title["rows"]} == {
        "Tuesday group": 2,
        "Never held": 0,
    }
    assert sc.sessions[0]["title"] == "Tuesday group"


async def test_timeline_tells_the_session_in_plain_words(server: Server) -> None:
    sc = await run_scenario(server)
    sid, log = sc.sessions[0]["id"], await sc.log(server, 0)
    status, report = await sc.dana.api("GET", f"/api/sessions/{sid}/timeline")
    assert status == 200, report
    assert report["log_verified"] is True
    entries = report["entries"]
    assert [e["seq"] for e in entries] == [e.seq for e in log]
    said = [e["summary"] for e in entries]
    assert "Ann was admitted by dana" in said
    assert "Ben dropped out (connection lost)" in said and "Ben came back" in said
    role_play = next(e for e in entries if e["kind"] == "roleplay.started")
    assert role_play["summary"].endswith(": Ann played client, dana played leader")
    slides = [e for e in entries if e["kind"] == "slide.shown"]
    second = at_of(log, "slide.shown", index=1)
    assert slides[0]["duration_s"] == (second - slides[0]["at"]) // S
    assert slides[0]["summary"].startswith("Slide 1 of ")

    _, only = await sc.dana.api("GET", f"/api/sessions/{sid}/timeline?groups=slides,goals")
    assert {e["kind"] for e in only["entries"]} == {"slide.shown", "goal.noted"}
    status, bad = await sc.dana.api("GET", f"/api/sessions/{sid}/timeline?groups=gossip")
    assert (status, bad["error"]["code"]) == (400, "invalid")


async def test_reports_are_the_same_after_a_restart(tmp_path: Path) -> None:
    first = await start_server(tmp_path)
    try:
        sc = await run_scenario(first)
        sid = sc.sessions[0]["id"]
        paths = [f"/api/sessions/{sid}/attendance", "/api/reports/clients/C-002"]
        before = [(await sc.dana.api("GET", p))[1] for p in paths]
    finally:
        await first.stop()
    second = await start_server(tmp_path)  # a new process state over the same stored log
    try:
        sue = await second.staff("sue", StaffRole.SUPERVISOR)
        assert [(await sue.api("GET", p))[1] for p in paths] == before
    finally:
        await second.stop()


async def test_a_turned_off_invite_is_neither_missed_nor_an_expected_place(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    sid = session["id"]
    status, body = await dana.api(
        "POST", f"/api/sessions/{sid}/invites", json={"role": "client", "client_ref": "C-009"}
    )
    assert status == 201
    await dana.api("DELETE", f"/api/sessions/{sid}/invites/{body['invite']['id']}")
    _, gone = await dana.api("GET", "/api/reports/clients/C-009")
    assert [s["status"] for s in gone["sessions"]] == ["withdrawn"]
    assert (gone["figures"]["sessions_missed"], gone["figures"]["sessions_withdrawn"]) == (0, 1)
    _, report = await dana.api("GET", "/api/reports/program")
    assert (report["total"]["client_places"], report["total"]["client_attendances"]) == (1, 1)
