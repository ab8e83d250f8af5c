"""Program trends from real sessions: attendance per held session, modules completed."""

from __future__ import annotations

from imr_live.reports.certificates import completed_modules
from imr_live.reports.client_report import client_report
from imr_live.reports.modules import module_of
from imr_live.reports.records import ReportRecords
from imr_live.reports.trends import attendance_over_time, modules_completed
from tests.live.harness import Server
from tests.reports.course import EVE, FAY, run_course
from tests.reports.scenario import CLIENTS, run_scenario


def report_records(server: Server) -> ReportRecords:
    s = server.services
    return ReportRecords(s.db, s.log, s.sessions, s.links)


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
    first, second = (module_of(s["script_ref"]) for s in sc.sessions)
    assert modules_completed(records) == dict(sorted({first: 3, second: 2}.items()))
    per_client = [completed_modules(client_report(ref, records)) for ref in CLIENTS.values()]
    assert per_client == [sorted([first, second]), sorted([first, second]), [first]]


async def test_modules_completed_agrees_with_each_clients_certificates(server: Server) -> None:
    course = await run_course(server)
    records = await report_records(server).visible_to(
        await server.services.accounts.from_token(course.dana.token)
    )
    assert modules_completed(records) == {course.module: 1}
    assert completed_modules(client_report(EVE, records)) == [course.module]
    assert completed_modules(client_report(FAY, records)) == []
