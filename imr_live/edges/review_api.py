"""Supervisor review and program reports over HTTP: JSON, or CSV with ``?format=csv``.

Supervisors and admins review everything; clinicians the sessions they lead or
co-lead and those sessions' clients; nobody else anything. Every view and every
export writes an audit row before the data leaves.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.domain.care_plans import CarePlans
from imr_live.domain.clock import now_us
from imr_live.domain.roles import LEADS, Role
from imr_live.edges import (
    my_imr,
    notes_api,
    review_exports,
    review_fidelity,
    review_pages,
    review_plans,
    safety_api,
    scales_due_api,
    session_plan,
)
from imr_live.edges.http_api import current_account, services, session_for_staff
from imr_live.edges.review_common import audited, csv_response, records, report_of
from imr_live.edges.review_plans import plan_view
from imr_live.errors import Forbidden, InvalidInput, NotFound
from imr_live.reports.attendance import attendance
from imr_live.reports.audit import AuditLog
from imr_live.reports.csv_table import to_csv
from imr_live.reports.enrollment import (
    JOIN_COLUMNS,
    MONTH_COLUMNS,
    GroupJoins,
    group_joins,
    month_rows,
    months_total,
)
from imr_live.reports.program import GROUPINGS, program
from imr_live.reports.scale_schedule import ScaleDue, due_list, scales_due
from imr_live.reports.timeline import GROUPS, timeline
from imr_live.reports.trends import client_reports, program_scale

routes = web.RouteTableDef()

ATTENDANCE_COLUMNS = [
    "participant",
    "role",
    "display_name",
    "client_ref",
    "attended",
    "first_arrival",
    "first_admitted",
    "present_s",
    "present_min",
    "late_s",
    "late_min",
    "drops",
    "rejoins",
    "left_early",
]
DUE_COLUMNS = ["client_ref", "rater", "last_at", "due_at", "status"]
TIMELINE_COLUMNS = ["seq", "at", "kind", "group", "actor", "who", "summary", "duration_s"]
CLIENT_COLUMNS = [
    "session_id",
    "scheduled_at",
    "script_ref",
    "variant",
    "module",
    "session_number",
    "format",
    "status",
    "present_s",
    "share",
    "counts",
    "late_s",
    "drops",
    "rejoins",
    "supporter_came",
]


def setup(app: web.Application) -> None:
    """Register review and report routes, exports and review pages on the application."""
    app.router.add_routes(routes)
    app.router.add_routes(review_exports.routes)
    app.router.add_routes(safety_api.routes)
    app.router.add_routes(notes_api.routes)
    app.router.add_routes(review_plans.routes)
    app.router.add_routes(review_fidelity.routes)
    app.router.add_routes(my_imr.routes)
    app.router.add_routes(session_plan.routes)
    app.router.add_routes(scales_due_api.routes)
    review_pages.setup(app)


def kind_groups(request: web.Request) -> list[str] | None:
    """The ``?groups=slides,chat`` filter, checked against the known groups."""
    raw = request.query.get("groups")
    if raw is None:
        return None
    wanted = [g for g in raw.split(",") if g]
    unknown = sorted(set(wanted) - set(GROUPS) - {"other"})
    if unknown:
        raise InvalidInput(f"groups: unknown {', '.join(unknown)[:80]}; use {', '.join(GROUPS)}")
    return wanted


@routes.get("/api/sessions/{session_id}/timeline")
async def session_timeline(request: web.Request) -> web.Response:
    """The session's timeline in plain words (``?groups=`` filters by kind group)."""
    account, session = await session_for_staff(request)
    groups = kind_groups(request)
    as_csv = await audited(request, account, "timeline", f"session:{session.id}")
    events = await services(request).log.read(session.id)
    staff = await records(request).usernames()
    entries = [e.as_dict() for e in timeline(events, groups, staff)]
    if as_csv:
        return csv_response(to_csv(entries, TIMELINE_COLUMNS), f"timeline-{session.id}")
    verified = await services(request).log.verify(session.id)
    return web.json_response(
        {"session": session.as_dict(), "log_verified": verified.ok, "entries": entries}
    )


@routes.get("/api/sessions/{session_id}/attendance")
async def session_attendance(request: web.Request) -> web.Response:
    """Who attended, when they came, how long they stayed, drops and rejoins."""
    account, session = await session_for_staff(request)
    as_csv = await audited(request, account, "attendance", f"session:{session.id}")
    record = await records(request).record(session)
    report = attendance(session, record.events, record.client_refs()).as_dict()
    if as_csv:
        return csv_response(
            to_csv(report["people"], ATTENDANCE_COLUMNS), f"attendance-{session.id}"
        )
    return web.json_response({"session": session.as_dict(), **report})


@routes.get("/api/sessions/{session_id}/follow-up")
async def session_follow_up(request: web.Request) -> web.Response:
    """For the room's leads: each client's home practice and goals from earlier sessions.

    Per client of this session with a ``client_ref``: practice given in another
    session and not yet reviewed as done, and goals neither achieved nor dropped,
    leaving out what this session already reviewed. Folded from the stored logs by
    the client report, over the sessions this account may review; one
    ``view.follow_up`` audit row per client before the data leaves.
    """
    account = await current_account(request)
    session = await services(request).sessions.get(request.match_info["session_id"])
    if session.staff_role(account) not in LEADS:
        raise Forbidden("only the leaders of this session see its clients' earlier records")
    invites = await services(request).links.for_session(session.id)
    mine = [i for i in invites if i.role is Role.CLIENT and i.client_ref]
    audit = AuditLog(services(request).db)
    for ref in sorted({i.client_ref for i in mine if i.client_ref}):
        await audit.record(account.id, "view.follow_up", f"client:{ref}")
    out = []
    for invite in mine:
        ref = invite.client_ref or ""
        found = await records(request).of_client(ref, account)
        report = await report_of(request, ref, found)
        held = {s.session_id: s.scheduled_at for s in report.sessions}
        practice, goals = report.to_follow_up(session.id)
        elsewhere = await records(request).last_rated(ref)  # a colleague's sessions count too
        due = scales_due(report, now_us(), services(request).config.imr_scales_due_days, elsewhere)
        out.append(
            {
                "participant": invite.id,
                "client_ref": ref,
                "scales_due": [d.as_dict() for d in due],
                "assignments": [
                    {
                        "assignment_id": a.id,
                        "text": a.text,
                        "ref": a.ref,
                        "status": a.status,
                        "session_id": a.session_id,
                        "session_scheduled_at": held.get(a.session_id),
                        "given_at": a.at,
                    }
                    for a in practice
                ],
                "goals": [
                    {
                        "goal_id": g.id,
                        "goal": g.text,
                        "status": g.status,
                        "session_id": g.session_id,
                        "session_scheduled_at": held.get(g.session_id),
                        "noted_at": g.at,
                    }
                    for g in goals
                ],
            }
        )
    return web.json_response({"session_id": session.id, "clients": out})


@routes.get("/api/reports/clients/{client_ref}")
async def client(request: web.Request) -> web.Response:
    """One client's sessions, modules, assignments and goals (sessions the account may review)."""
    account = await current_account(request)
    ref = request.match_info["client_ref"]
    found = await records(request).of_client(ref, account)
    if not found:
        raise NotFound("no sessions of this client that you may review")
    as_csv = await audited(request, account, "client_report", f"client:{ref}")
    report = await report_of(request, ref, found)
    if as_csv:
        rows = [s.as_dict() for s in report.sessions]
        return csv_response(to_csv(rows, CLIENT_COLUMNS), f"client-{ref}")
    s = services(request)
    history = await CarePlans(s.db, s.sessions).of_client(ref)
    return web.json_response({**report.as_dict(), "care_plans": plan_view(history)})


@routes.get("/api/reports/scales-due")
async def scales_due_report(request: web.Request) -> web.Response:
    """When each client's next IMR Scales rating is due (clients of the sessions the account
    may review), most pressing first; ``?format=csv`` exports it."""
    account = await current_account(request)
    as_csv = await audited(request, account, "scales_due", "program:scales_due")
    due = await due_of(request, account)
    rows = [d.as_dict() for d in due]
    if as_csv:
        return csv_response(to_csv(rows, DUE_COLUMNS), "imr-scales-due")
    every = services(request).config.imr_scales_due_days
    return web.json_response({"every_days": every, "clients": rows})


async def due_of(request: web.Request, account: Account) -> list[ScaleDue]:
    """Next IMR Scales ratings of every client the account may review."""
    source = records(request)
    s = services(request)
    clients = client_reports(
        await source.visible_to(account), source.curriculum, s.config.attendance_share
    )
    return due_list(clients, now_us(), s.config.imr_scales_due_days)


@routes.get("/api/reports/program")
async def program_report(request: web.Request) -> web.Response:
    """Program figures per clinician (``?by=leader``) or group (``?by=title``)."""
    account = await current_account(request)
    by = request.query.get("by", "leader")
    if by not in GROUPINGS:
        raise InvalidInput(f"by must be one of: {', '.join(GROUPINGS)}")
    as_csv = await audited(request, account, "program", f"program:{by}")
    source = records(request)
    visible = await source.summarised(account)
    rows, total = program(visible, by, await source.usernames())
    as_dicts = [r.as_dict() for r in rows], total.as_dict()
    flats = [r.flat() for r in rows], total.flat()
    clients = client_reports(visible, source.curriculum, services(request).config.attendance_share)
    body: dict[str, Any] = {"by": by, "scale": program_scale(clients)}
    if by == "title":  # groups: with their joins
        joins = group_joins(visible, source.curriculum)
        found = {g.group: [g] for g in joins}
        for shape in (as_dicts, flats):
            for row in shape[0]:
                row.update(join_counts(found.get(row["key"], [])))
            shape[1].update(join_counts(joins))
        body["enrollment"] = {
            "per_month": months_total(joins),
            "groups": [g.as_dict() for g in joins],
        }
    if as_csv:
        flat = [*flats[0], flats[1]]
        return csv_response(to_csv(flat, _columns(flat)), f"program-by-{by}")
    return web.json_response({**body, "rows": as_dicts[0], "total": as_dicts[1]})


@routes.get("/api/reports/program/joins")
async def program_joins(request: web.Request) -> web.Response:
    """Open-enrollment joins per group: one row per client's first time in a group's room.

    ``?format=csv`` gives those rows; ``?format=csv&rows=months`` one row per group and month.
    """
    account = await current_account(request)
    per = request.query.get("rows", "joins")
    if per not in ("joins", "months"):
        raise InvalidInput("rows must be joins or months")
    as_csv = await audited(request, account, "program", "program:joins")
    source = records(request)
    groups = group_joins(await source.summarised(account), source.curriculum)
    if as_csv and per == "months":
        return csv_response(to_csv(month_rows(groups), MONTH_COLUMNS), "program-joins-per-month")
    if as_csv:
        rows = [j.flat() for g in groups for j in g.joins]
        return csv_response(to_csv(rows, JOIN_COLUMNS), "program-joins")
    return web.json_response(
        {"per_month": months_total(groups), "groups": [g.as_dict() for g in groups]}
    )


def join_counts(groups: list[GroupJoins]) -> dict[str, int]:
    """Founding members and open-enrollment joins over ``groups``."""
    return {
        "founding_members": sum(g.founding_members for g in groups),
        "open_enrollment_joins": sum(g.open_enrollment_joins for g in groups),
    }


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every column any row has, in first-seen order."""
    return list(dict.fromkeys(k for row in rows for k in row))
