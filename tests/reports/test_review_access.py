"""Who may see which report: every route, every kind of caller; each view is audited."""

from __future__ import annotations

from collections import Counter

import aiohttp

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from tests.live.harness import Server
from tests.reports.scenario import held_session

REPORTS = ["timeline", "attendance", "client_report", "program"]


def routes(sid: str) -> list[tuple[str, str, str]]:
    """(path, report, audit target) of every review route, JSON and CSV."""
    plain = [
        (f"/api/sessions/{sid}/timeline", "timeline", f"session:{sid}"),
        (f"/api/sessions/{sid}/attendance", "attendance", f"session:{sid}"),
        ("/api/reports/clients/C-001", "client_report", "client:C-001"),
        ("/api/reports/program", "program", "program:leader"),
    ]
    return plain + [(f"{p}?format=csv", r, t) for p, r, t in plain]


async def status_of(http: aiohttp.ClientSession, path: str) -> int:
    async with http.get(path) as resp:
        await resp.read()
        return resp.status


async def test_every_route_admits_only_those_who_may_see_it(server: Server) -> None:
    dana = await server.staff("dana")
    sam = await server.staff("sam", StaffRole.CO_LEADER)
    session = await held_session(server, dana, [sam.id])
    callers = {
        "supervisor": (await server.staff("sue", StaffRole.SUPERVISOR)).http,
        "admin": (await server.staff("ada", StaffRole.ADMIN)).http,
        "leader": dana.http,
        "co_leader": sam.http,
        "other_clinician": (await server.staff("olly")).http,
        "anonymous": aiohttp.ClientSession(base_url=server.url),
        "guest": aiohttp.ClientSession(
            base_url=server.url, headers={"Authorization": f"Bearer {session['token']}"}
        ),
    }
    server.opened += [callers["anonymous"], callers["guest"]]
    other = {"timeline": 403, "attendance": 403, "client_report": 404, "program": 200}
    for who, http in callers.items():
        for path, report, _target in routes(session["id"]):
            want = {"anonymous": 401, "guest": 401, "other_clinician": other[report]}.get(who, 200)
            assert await status_of(http, path) == want, (who, path)


async def test_an_unrelated_clinician_sees_no_program_rows_of_others(server: Server) -> None:
    dana = await server.staff("dana")
    await held_session(server, dana, [])
    olly = await server.staff("olly")
    status, report = await olly.api("GET", "/api/reports/program")
    assert status == 200 and report["rows"] == []
    assert report["total"]["sessions_scheduled"] == 0


async def test_every_view_and_export_writes_one_audit_row(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    olly = await server.staff("olly")
    for path, _report, _target in routes(session["id"]):
        await status_of(dana.http, path)
        await status_of(olly.http, path)
    rows = await AuditLog(server.services.db).entries()
    expected = [
        (dana.id, f"{'export' if 'csv' in path else 'view'}.{report}", target)
        for path, report, target in routes(session["id"])
    ]
    expected += [(olly.id, "view.program", "program:leader")]
    expected += [(olly.id, "export.program", "program:leader")]
    assert Counter((r.account_id, r.action, r.target) for r in rows) == Counter(expected)
    assert all(r.at > 0 for r in rows)


async def test_refused_and_malformed_requests_write_no_audit_row(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    olly = await server.staff("olly")
    assert await status_of(olly.http, f"/api/sessions/{session['id']}/attendance") == 403
    status, body = await dana.api("GET", f"/api/sessions/{session['id']}/attendance?format=pdf")
    assert (status, body["error"]["code"]) == (400, "invalid")
    status, body = await dana.api("GET", "/api/reports/program?by=mood")
    assert status == 400
    status, body = await dana.api("GET", "/api/reports/clients/C-999")
    assert (status, body["error"]["code"]) == (404, "not_found")
    assert await AuditLog(server.services.db).entries() == []


async def test_invites_carry_an_opaque_client_ref_only(server: Server) -> None:
    dana = await server.staff("dana")
    sid = (await dana.create_session())["id"]
    status, body = await dana.api(
        "POST", f"/api/sessions/{sid}/invites", json={"role": "client", "client_ref": "C-7"}
    )
    assert status == 201 and body["invite"]["client_ref"] == "C-7"
    for bad in ("Ann Smith", "", 7, "x" * 65):
        status, body = await dana.api(
            "POST", f"/api/sessions/{sid}/invites", json={"role": "client", "client_ref": bad}
        )
        assert (status, body["error"]["code"]) == (400, "invalid"), bad
    _, listing = await dana.api("GET", f"/api/sessions/{sid}/invites")
    assert [i["client_ref"] for i in listing["invites"]] == ["C-7"]
