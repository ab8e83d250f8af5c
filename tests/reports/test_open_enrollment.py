"""Open-enrollment joins per group, from sessions held over the live channel.

"Open group" meets three times: sessions 1 and 2 are the two sessions of one
module, session 3 the first session of another. Ann (C-001) and Ben (C-002)
are there from the start; Dee (C-004) is first invited to session 3 and comes:
one open-enrollment join, at the second module. A second group, "Solo", has one
held session with Ann, so Ann is a founding member of both groups.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import UTC, datetime

import aiohttp

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from imr_live.reports.csv_table import cell
from imr_live.reports.enrollment import JOIN_COLUMNS
from imr_live.reports.modules import module_of
from tests.live.harness import Server, Staff
from tests.reports.course import one_module
from tests.reports.scenario import at_of, come_in
from tests.reports.test_review_access import status_of

REFS = {"Ann": "C-001", "Ben": "C-002", "Dee": "C-004"}


async def hold(server: Server, dana: Staff, title: str, ref: str, names: list[str]) -> str:
    """One group session over the live channel with these clients; its id."""
    session = await dana.create_session(title=title, script_ref=ref)
    sid = str(session["id"])
    tokens = {n: await dana.invite(sid, "client", client_ref=REFS[n]) for n in names}
    leader = await dana.connect(sid)
    await leader.ok("join")
    for name in names:
        await come_in(server, leader, tokens[name], name)
    await leader.ok("session.end")
    return sid


async def open_group(server: Server) -> tuple[Staff, list[str], str]:
    """Hold the three sessions of "Open group" and the one of "Solo"."""
    dana = await server.staff("dana")
    _module, (first, second) = one_module(server)
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    third = next(m for m in curriculum.modules if m.id != module_of(first)).sessions[0].ref
    sids = [
        await hold(server, dana, "Open group", first, ["Ann", "Ben"]),
        await hold(server, dana, "Open group", second, ["Ann", "Ben"]),
        await hold(server, dana, "Open group", third, ["Ann", "Ben", "Dee"]),
    ]
    await hold(server, dana, "Solo", first, ["Ann"])
    return dana, sids, third


async def csv_of(staff: Staff, path: str) -> list[dict[str, str]]:
    async with staff.http.get(path) as resp:
        assert (resp.status, resp.content_type) == (200, "text/csv")
        return list(csv.DictReader(io.StringIO(await resp.text())))


async def test_a_client_who_joins_at_the_third_session_is_one_open_enrollment_join(
    server: Server,
) -> None:
    dana, sids, third = await open_group(server)
    log = server.services.log
    first_log, third_log = await log.read(sids[0]), await log.read(sids[2])
    ann, ben = (at_of(first_log, "participant.joined", display_name=n) for n in ("Ann", "Ben"))
    dee_pid = next(e.data["participant"] for e in third_log if e.data.get("display_name") == "Dee")
    dee_at = at_of(third_log, "participant.admitted", participant=dee_pid)
    month = datetime.fromtimestamp(dee_at / 1_000_000, UTC).strftime("%Y-%m")
    first_ref = (await server.services.sessions.get(sids[0])).script_ref
    assert ann < ben < dee_at

    status, body = await dana.api("GET", "/api/reports/program/joins")
    assert status == 200, body
    groups = {g["group"]: g for g in body["groups"]}
    assert list(groups) == ["Open group", "Solo"]
    group = groups["Open group"]
    assert (group["sessions_held"], group["founding_members"]) == (3, 2)
    assert group["open_enrollment_joins"] == 1
    assert group["per_month"] == {month: 1}
    assert group["per_module"] == {module_of(third): 1}
    joined = [(j["client_ref"], j["session_id"], j["session_number"]) for j in group["joins"]]
    assert joined == [("C-001", sids[0], 1), ("C-002", sids[0], 1), ("C-004", sids[2], 3)]
    dee = group["joins"][2]
    assert (dee["module"], dee["script_ref"], dee["open_enrollment"]) == (
        module_of(third),
        third,
        True,
    )
    assert dee["joined_at"] == dee_at and dee["month"] == month
    # Dee missed the group's two Recovery Strategies sessions and has not done that module:
    # a warning for the leader (never a block); founding members have none.
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    entry = curriculum.module(module_of(first_ref)).title
    assert module_of(first_ref) == "recovery-strategies"
    assert dee["missed"] == [f"{entry}, session 1", f"{entry}, session 2"]
    assert dee["entry_first"] is True
    assert dee["warning"] == (
        f"C-004 has not done Recovery Strategies yet, missed: {entry}, session 1; {entry}, session 2."
    )
    assert [j["warning"] for j in group["joins"][:2]] == [None, None]
    assert group["joins"][0]["module"] == module_of(first_ref)
    assert not group["joins"][0]["open_enrollment"]
    assert [j["client_ref"] for j in groups["Solo"]["joins"]] == ["C-001"]
    assert groups["Solo"]["open_enrollment_joins"] == 0
    assert body["per_month"] == {month: 1}

    rows = await csv_of(dana, "/api/reports/program/joins?format=csv")
    every = [j for g in body["groups"] for j in g["joins"]]
    assert rows == [
        {c: cell("; ".join(j[c]) if c == "missed" else j[c]) for c in JOIN_COLUMNS} for j in every
    ]
    months = await csv_of(dana, "/api/reports/program/joins?format=csv&rows=months")
    assert months == [{"group": "Open group", "month": month, "open_enrollment_joins": "1"}]

    _, by_group = await dana.api("GET", "/api/reports/program?by=title")
    counts = {
        r["label"]: (r["founding_members"], r["open_enrollment_joins"]) for r in by_group["rows"]
    }
    assert counts == {"Open group": (2, 1), "Solo": (1, 0)}
    total = by_group["total"]
    assert (total["founding_members"], total["open_enrollment_joins"]) == (3, 1)
    assert by_group["enrollment"]["groups"] == body["groups"]
    flat = await csv_of(dana, "/api/reports/program?by=title&format=csv")
    assert [(r["label"], r["founding_members"], r["open_enrollment_joins"]) for r in flat] == [
        ("Open group", "2", "1"),
        ("Solo", "1", "0"),
        ("Whole program", "3", "1"),
    ]
    _, by_leader = await dana.api("GET", "/api/reports/program")
    assert "enrollment" not in by_leader and "open_enrollment_joins" not in by_leader["total"]

    async with dana.http.get("/review/program?by=title") as resp:
        assert resp.status == 200
        html = await resp.text()
    assert 'id="joins"' in html and 'id="joins-per-month"' in html
    assert f'<a href="/review/sessions/{sids[2]}">3 of 3</a>' in html
    assert html.count("open enrollment</td>") == 1 and html.count("founding member</td>") == 3
    assert f'<th scope="row">{month}</th><td class="num">1</td>' in html
    assert 'id="join-warnings"' in html and "C-004 has not done Recovery Strategies yet" in html

    audited = await AuditLog(server.services.db).entries()
    assert Counter((r.account_id, r.action, r.target) for r in audited) == Counter(
        {
            (dana.id, "view.program", "program:joins"): 1,
            (dana.id, "export.program", "program:joins"): 2,
            (dana.id, "view.program", "program:title"): 2,
            (dana.id, "export.program", "program:title"): 1,
            (dana.id, "view.program", "program:leader"): 1,
        }
    )

    # The session's own page warns about the newcomer too, and names the stored plan.
    async with dana.http.get(f"/review/sessions/{sids[2]}") as resp:
        html = await resp.text()
    assert 'id="newcomers"' in html and "C-004 has not done Recovery Strategies yet" in html
    assert 'id="session-plan"' in html
    async with dana.http.get(f"/review/sessions/{sids[1]}") as resp:
        assert 'id="newcomers"' not in await resp.text()


async def test_joins_follow_the_program_access_rules(server: Server) -> None:
    await open_group(server)
    olly = await server.staff("olly")
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    anonymous = aiohttp.ClientSession(base_url=server.url)
    server.opened.append(anonymous)
    status, body = await olly.api("GET", "/api/reports/program/joins")
    assert (status, body["groups"], body["per_month"]) == (200, [], {})
    _, seen = await sue.api("GET", "/api/reports/program/joins")
    assert [g["open_enrollment_joins"] for g in seen["groups"]] == [1, 0]
    assert await status_of(anonymous, "/api/reports/program/joins") == 401
    assert await status_of(sue.http, "/api/reports/program/joins?rows=weeks") == 400
