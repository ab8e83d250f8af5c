"""Fidelity ratings over HTTP: the IT-IS per session, the IMR Fidelity Scale per program.

Supervisors and admins rate; the people who may review a session read its
ratings (a clinician the sessions they led). Beside the IT-IS form the session's
log gives evidence: role play run, practice given and reviewed, goals followed
up, curriculum used, a supporter present. Every view, rating and export writes
an audit row first.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from imr_live.domain.fidelity import (
    ITIS,
    PROGRAM,
    FidelityRatings,
    check_supervisor,
    checked_scores,
    csv_columns,
    instruments,
    over_time,
)
from imr_live.domain.roles import StaffRole
from imr_live.domain.sessions import SessionFormat
from imr_live.edges.http_api import current_account, json_body, services, session_for_staff
from imr_live.edges.review_common import audited, csv_response, records
from imr_live.errors import InvalidInput
from imr_live.reports.attendance import attendance
from imr_live.reports.audit import AuditLog
from imr_live.reports.csv_table import to_csv
from imr_live.reports.records import SessionRecord

routes = web.RouteTableDef()
MAX_PERIOD = 40


def evidence(record: SessionRecord) -> dict[str, Any]:
    """What the session's log shows, for the supervisor to weigh beside the IT-IS items."""
    kinds = [e.kind for e in record.events]
    slides = {e.data.get("slide_id") for e in record.events if e.kind == "slide.shown"}
    people = attendance(record.session, record.events, record.client_refs()).people
    return {
        "role_play_run": "roleplay.started" in kinds,
        "practice_given": kinds.count("assignment.given"),
        "practice_reviewed": kinds.count("assignment.reviewed"),
        "goals_noted": kinds.count("goal.noted"),
        "goals_followed_up": kinds.count("goal.updated"),
        "curriculum_used": bool(record.session.script_ref) and bool(slides),
        "slides_shown": len(slides),
        "supporter_present": any(p.role == "supporter" and p.attended for p in people),
    }


@routes.get("/api/fidelity/instruments")
async def fidelity_instruments(request: web.Request) -> web.Response:
    """The IT-IS and IMR Fidelity Scale items and score words (for the forms)."""
    await current_account(request)
    return web.json_response(instruments())


@routes.get("/api/sessions/{session_id}/itis")
async def session_itis(request: web.Request) -> web.Response:
    """The session's IT-IS ratings and the evidence from its log."""
    account, session = await session_for_staff(request)
    await AuditLog(services(request).db).record(account.id, "view.itis", f"session:{session.id}")
    record = await records(request).record(session)
    ratings = await FidelityRatings(services(request).db).of_target(ITIS, f"session:{session.id}")
    return web.json_response(
        {
            "session_id": session.id,
            "group": session.format is SessionFormat.GROUP,
            "evidence": evidence(record),
            "ratings": [r.as_dict() for r in ratings],
        }
    )


@routes.post("/api/sessions/{session_id}/itis")
async def rate_itis(request: web.Request) -> web.Response:
    """A supervisor's IT-IS rating: ``{scores: [16 x 1-5 or null], source, comment}``."""
    account, session = await session_for_staff(request)
    check_supervisor(account)
    body = await json_body(request)
    scores = checked_scores(ITIS, body.get("scores"), session.format is SessionFormat.GROUP)
    target = f"session:{session.id}"
    rating = await FidelityRatings(services(request).db).add(
        account, ITIS, target, session.leader_id, scores, body.get("source"), body.get("comment")
    )
    await AuditLog(services(request).db).record(account.id, "rate.itis", target)
    return web.json_response(rating.as_dict(), status=201)


@routes.post("/api/reports/fidelity/program")
async def rate_program(request: web.Request) -> web.Response:
    """A supervisor's IMR Fidelity Scale rating: ``{scores: [13 x 1-5], period, source, comment}``."""
    account = await current_account(request)
    check_supervisor(account)
    body = await json_body(request)
    period = body.get("period")
    if not isinstance(period, str) or not 0 < len(period.strip()) <= MAX_PERIOD:
        raise InvalidInput(
            f"period: what was rated, e.g. 2026-Q4 (at most {MAX_PERIOD} characters)"
        )
    scores = checked_scores(PROGRAM, body.get("scores"), True)
    target = f"program:{period.strip()}"
    rating = await FidelityRatings(services(request).db).add(
        account, PROGRAM, target, None, scores, body.get("source"), body.get("comment")
    )
    await AuditLog(services(request).db).record(account.id, "rate.imr_fidelity", target)
    return web.json_response(rating.as_dict(), status=201)


@routes.get("/api/reports/fidelity")
async def fidelity_report(request: web.Request) -> web.Response:
    """IT-IS ratings of the sessions the account may review, per clinician and month, and the
    program's IMR Fidelity Scale ratings (supervisors and admins). ``?format=csv``: the
    IT-IS rows (``?scale=imr_fidelity``: the program rows), one column per item."""
    account = await current_account(request)
    scale = request.query.get("scale", ITIS)
    if scale not in (ITIS, PROGRAM):
        raise InvalidInput(f"scale must be {ITIS} or {PROGRAM}")
    as_csv = await audited(request, account, "fidelity", f"fidelity:{scale}")
    store = FidelityRatings(services(request).db)
    visible = {f"session:{s.id}" for s in await services(request).sessions.for_account(account)}
    itis = [r for r in await store.all(ITIS) if r.target in visible]
    supervises = account.role in (StaffRole.SUPERVISOR, StaffRole.ADMIN)
    program = await store.all(PROGRAM) if supervises else []
    if as_csv:
        rows = [r.flat() for r in (itis if scale == ITIS else program)]
        return csv_response(to_csv(rows, csv_columns(scale)), f"fidelity-{scale}")
    return web.json_response(
        {
            "itis": [r.as_dict() for r in itis],
            "itis_by_clinician": over_time(itis, "leader_id"),
            "itis_by_month": over_time(itis, "scale"),
            "program": [r.as_dict() for r in program],
            "program_over_time": over_time(program, "scale"),
        }
    )
