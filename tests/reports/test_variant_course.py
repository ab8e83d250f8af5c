"""A simplified group held live: variant modules, honest completion, people not links.

Session 1 runs ``simplified/practical-facts/1`` (the only session of that
simplified module). Ann (C-001) stays to the end and her supporter (a link
tagged C-001) comes too; Ben (C-002) looks in and leaves at once; a stranger
on a spare client link is turned away; Cy's link (C-003) expired before the
start and Di's (C-004) was turned off before it. Session 2 runs
``simplified/stress-vulnerability-model/1``: Ann does not come, her supporter does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from imr_live.config import from_env
from imr_live.domain.roles import StaffRole
from imr_live.errors import ConfigError
from imr_live.reports.modules import module_title
from tests.live.harness import Server, Staff, guest, start_server
from tests.reports.course import curriculum_of
from tests.reports.scenario import at_of, come_in
from tests.reports.test_scale_and_exports import pdf_text

FIRST, SECOND = "simplified/practical-facts/1", "simplified/stress-vulnerability-model/1"
MODULE = "simplified/practical-facts"
STAY_S = 1.0
"""How long the session goes on after Ben left: his share stays well under half."""


@dataclass
class Held:
    """What the tests check against."""

    dana: Staff
    sessions: list[dict[str, Any]]
    ben: str
    """Ben's participant id in session 1."""


def invite_id(token: str) -> str:
    return token.split(".", 1)[0]


async def hold(server: Server) -> Held:
    """Both sessions of the simplified group."""
    dana = await server.staff("dana")
    first = await dana.create_session(script_ref=FIRST)
    sid = first["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    ben_token = await dana.invite(sid, "client", client_ref="C-002")
    helper = await dana.invite(sid, "supporter", client_ref="C-001")
    stranger = await dana.invite(sid, "client")
    cy = await dana.invite(sid, "client", client_ref="C-003")
    await server.services.db.execute(
        "UPDATE invites SET expires_at = ? WHERE id = ?", 1, invite_id(cy)
    )
    di = await dana.invite(sid, "client", client_ref="C-004")
    status, _ = await dana.api("DELETE", f"/api/sessions/{sid}/invites/{invite_id(di)}")
    assert status in (200, 204)

    leader = await dana.connect(sid)
    await leader.ok("join")
    await come_in(server, leader, ann_token, "Ann")
    await come_in(server, leader, helper, "Ann's sister")
    ben_client, ben_pid = await come_in(server, leader, ben_token, "Ben")
    await ben_client.ok("leave")
    visitor = await guest(server, stranger)
    pid = (await visitor.ok("join", {"display_name": "Someone"}))["you"]["id"]
    await leader.wait_event("participant.joined", participant=pid)
    await leader.ok("waiting.deny", {"participant": pid})
    await asyncio.sleep(STAY_S)
    await leader.ok("session.end")

    second = await dana.create_session(script_ref=SECOND)
    await dana.invite(second["id"], "client", client_ref="C-001")
    helper = await dana.invite(second["id"], "supporter", client_ref="C-001")
    leader = await dana.connect(second["id"])
    await leader.ok("join")
    await come_in(server, leader, helper, "Ann's sister")
    await leader.ok("session.end")
    return Held(dana, [first, second], ben_pid)


async def test_attendance_counts_the_clients_expected_not_the_links(server: Server) -> None:
    held = await hold(server)
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    _, report = await sue.api("GET", "/api/reports/program")
    dana = next(r for r in report["rows"] if r["label"] == "dana")
    # Session 1: Ann and Ben expected, both came; session 2: Ann expected, only her supporter came.
    assert (dana["client_places"], dana["client_attendances"]) == (3, 2)
    _, cy = await sue.api("GET", "/api/reports/clients/C-003")
    _, di = await sue.api("GET", "/api/reports/clients/C-004")
    assert [s["status"] for s in cy["sessions"] + di["sessions"]] == ["withdrawn", "withdrawn"]

    _, ann = await sue.api("GET", "/api/reports/clients/C-001")
    assert [(s["status"], s["supporter_came"]) for s in ann["sessions"]] == [
        ("attended", True),
        ("missed", True),  # her supporter's link is not her attendance
    ]
    assert held.sessions[1]["id"] == ann["sessions"][1]["session_id"]
    sid = held.sessions[0]["id"]
    _, attendance = await sue.api("GET", f"/api/sessions/{sid}/attendance")
    roles = {(p["role"], p["client_ref"], p["attended"], p["denied"]) for p in attendance["people"]}
    assert roles >= {
        ("client", "C-001", True, False),
        ("supporter", "C-001", True, False),  # linked to the client she supports
        ("client", None, False, True),  # the stranger, turned away
    }


async def test_a_variant_session_counts_in_its_own_module_and_plan(server: Server) -> None:
    held = await hold(server)
    _, ann = await held.dana.api("GET", "/api/reports/clients/C-001")
    first = ann["sessions"][0]
    assert (first["variant"], first["module"], first["session_number"]) == (
        "simplified",
        MODULE,
        1,
    )
    figures = ann["figures"]
    assert figures["modules_covered"] == [MODULE]
    assert figures["sessions_per_variant"] == {"simplified": 1}
    assert (figures["plan"], figures["modules_planned"]) == ("group-simplified", 11)
    assert (figures["modules_completed"], figures["graduated"]) == ([MODULE], False)
    module = next(m for m in ann["progress"]["modules"] if m["module"] == MODULE)
    assert (module["completed_by"], module["attended"]) == ("attendance", [FIRST])

    title = module_title(MODULE, curriculum_of(server))
    assert title == "Facts about Mental Illness (Simplified IMR)"
    path = f"/api/reports/clients/C-001/certificate?kind=module&module={MODULE}"
    status, text = await pdf_text(held.dana, path)
    assert status == 200 and title in text and "practical-facts" not in text


async def test_a_client_who_looked_in_has_not_completed_until_a_clinician_says_so(
    server: Server,
) -> None:
    held = await hold(server)
    sid = held.sessions[0]["id"]
    log = await server.services.log.read(sid)
    started, ended = at_of(log, "session.started"), at_of(log, "session.ended")
    ben_in = at_of(log, "participant.admitted", participant=held.ben)
    ben_out = at_of(log, "participant.left", participant=held.ben)
    share = (ben_out - ben_in) / (ended - started)
    assert share < 0.5

    _, ben = await held.dana.api("GET", "/api/reports/clients/C-002")
    assert ben["sessions"][0]["share"] == round(share, 3)
    assert ben["sessions"][0]["counts"] is False
    assert ben["figures"]["modules_completed"] == []
    path = f"/api/reports/clients/C-002/certificate?kind=module&module={MODULE}"
    assert (await held.dana.api("GET", path))[0] == 409

    reason = "Went through the handout one to one"
    mark = {"participant": held.ben, "module": "practical-facts", "reason": reason}
    event = await server.services.log.append(sid, held.dana.id, "module.completed", mark)
    _, ben = await held.dana.api("GET", "/api/reports/clients/C-002")
    module = next(m for m in ben["progress"]["modules"] if m["module"] == MODULE)
    assert (module["completed_by"], module["reason"], module["at"]) == (
        "clinician",
        reason,
        event.at,
    )
    status, text = await pdf_text(held.dana, path)
    assert status == 200 and "Ben" in text
    _, report = await held.dana.api("GET", "/api/reports/program")
    assert report["total"]["client_places"] == 3  # the mark changes completion, not attendance


async def test_the_share_that_counts_is_a_setting(tmp_path: Path) -> None:
    server = await start_server(tmp_path, attendance_share=0.001)
    try:
        held = await hold(server)
        _, ben = await held.dana.api("GET", "/api/reports/clients/C-002")
        visit = ben["sessions"][0]
        assert 0.001 <= visit["share"] < 0.5 and visit["counts"] is True
        assert ben["figures"]["modules_completed"] == [MODULE]
    finally:
        await server.stop()
    with pytest.raises(ConfigError):
        from_env({"IMR_ATTENDANCE_SHARE": "1.5"})
