"""Program trends from real sessions: attendance per held session, modules completed."""

from __future__ import annotations

from imr_live.reports.certificates import completed_modules
from imr_live.reports.client_report import client_report
from imr_live.reports.modules import module_of
from imr_live.reports.records import ReportRecords
from imr_live.reports.trends import (
    attendance_over_time,
    client_reports,
    graduations,
    modules_completed,
)
from tests.live.harness import Server
from tests.reports.course import EVE, FAY, run_course
from tests.reports.scenario import CLIENTS, run_scenario


def report_records(server: Server) -> ReportRecords:
    s = server.services
    return ReportRecords(s.db, s.log, s.sessions, s.scripts.curriculum)  # type: ignore[union-attr]


async def test_trends_of_the_two_module_scenario(server: Server) -> None:
    sc = await run_scenario(server)
    records = await report_records(server).visible_to(
        await server.services.accounts.from_token(sc.dana.token)
    )
    over_time = attendance_over_time(records)
    assert [(s.session_id, s.expected, s.came, s.rate) for s in over_time] == [
        (sc.sessions[0]["id"], 3, 3, 1.0),
        (sc.sessions[1]["id"], 3, 2, 0.667),
    ]
    curriculum = report_records(server).curriculum
    first, second = (module_of(s["script_ref"], curriculum) for s in sc.sessions)
    assert len(curriculum.module(first).sessions) == len(curriculum.module(second).sessions) == 3
    # One session of each three-session module: nobody has completed either.
    assert modules_completed(client_reports(records, curriculum)) == {}
    reports = [client_report(ref, records, curriculum) for ref in CLIENTS.values()]
    assert [completed_modules(r) for r in reports] == [[], [], []]
    assert [r.progress.module(first).attended for r in reports] == [
        [sc.sessions[0]["script_ref"]]
    ] * 2 + [[]]


async def test_modules_completed_agrees_with_each_clients_certificates(server: Server) -> None:
    course = await run_course(server)
    records = await report_records(server).visible_to(
        await server.services.accounts.from_token(course.dana.token)
    )
    curriculum = report_records(server).curriculum
    clients = client_reports(records, curriculum)
    assert [r.client_ref for r in clients] == [EVE, FAY]
    assert modules_completed(clients) == {course.module: 1}
    assert graduations(clients) == {course.plan.id: 1}
    assert completed_modules(client_report(EVE, records, curriculum)) == [course.module]
    assert completed_modules(client_report(FAY, records, curriculum)) == []
    standard = client_report(EVE, records, curriculum, curriculum.plan("individual-standard"))
    assert (standard.progress.plan_id, len(standard.progress.modules)) == (
        "individual-standard",
        11,
    )
    assert standard.progress.completed() == [] and not standard.progress.graduated
    status, body = await course.dana.api("GET", f"/api/reports/clients/{EVE}?plan=no-such-plan")
    assert (status, body["error"]["code"]) == (404, "not_found")
    _, mine = await course.dana.api("GET", f"/api/reports/clients/{EVE}?plan=individual-standard")
    assert (mine["figures"]["plan"], mine["figures"]["modules_completed"]) == (
        "individual-standard",
        [],
    )
