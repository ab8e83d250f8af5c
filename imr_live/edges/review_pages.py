"""Review pages for staff: session timeline, attendance, one client, the program.

The same access rules and audit rows as the JSON routes in ``review_api``; the
pages add charts (Chart.js, served from node_modules) drawn from the tables
they sit above, so the numbers are always there to read and print.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.edges.http_api import current_account, services, session_for_staff
from imr_live.edges.pages import ROOT, render
from imr_live.edges.review_common import records
from imr_live.edges.review_exports import recordings
from imr_live.errors import ImrError, InvalidInput, NotAuthenticated, NotFound
from imr_live.reports.attendance import attendance
from imr_live.reports.audit import AuditLog
from imr_live.reports.certificates import completed_modules, graduated
from imr_live.reports.client_report import client_report
from imr_live.reports.enrollment import group_joins, months_total
from imr_live.reports.program import GROUPINGS, program
from imr_live.reports.roster import roster_of
from imr_live.reports.scale import scale_by_session
from imr_live.reports.timeline import GROUPS, timeline
from imr_live.reports.trends import attendance_over_time, modules_completed

CHART_JS = ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js"
GROUP_NAMES = [*GROUPS, "other"]
Page = Callable[[web.Request], Awaitable[web.StreamResponse]]
routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """Register the review pages and the charting library's file."""
    app.router.add_routes(routes)


def page(handler: Page) -> Page:
    """Sign-in redirect for anonymous callers; refusals as a plain problem page."""

    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except NotAuthenticated as exc:
            raise web.HTTPFound("/login") from exc
        except ImrError as exc:
            return render(
                request,
                "review/problem.html",
                exc.status,
                title="Not available",
                message=exc.message,
            )

    wrapped.__doc__ = handler.__doc__
    return wrapped


async def audit(request: web.Request, account: Account, report: str, target: str) -> None:
    """One audit row per page view, like the JSON views."""
    await AuditLog(services(request).db).record(account.id, f"view.{report}", target)


def when(at_us: int | None) -> str:
    """A time reviewers read (UTC)."""
    if at_us is None:
        return "—"
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def day(at_us: int) -> str:
    """A date and minute (UTC) for chart labels and tables."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%Y-%m-%d %H:%M")


def chosen_groups(request: web.Request) -> list[str] | None:
    """Kind groups ticked in the filter form (none ticked: all)."""
    wanted = [g for raw in request.query.getall("groups", []) for g in raw.split(",") if g]
    unknown = sorted(set(wanted) - set(GROUP_NAMES))
    if unknown:
        raise InvalidInput(f"unknown kind groups: {', '.join(unknown)[:80]}")
    return wanted or None


@routes.get("/review/assets/chart.umd.min.js")
async def chart_library(request: web.Request) -> web.StreamResponse:
    """Chart.js, as installed by ``npm ci`` (404 when it is missing: the tables still hold every number)."""
    return web.FileResponse(CHART_JS, headers={"Cache-Control": "max-age=3600"})


@routes.get("/review/sessions/{session_id}")
@page
async def timeline_page(request: web.Request) -> web.StreamResponse:
    """A session's timeline with kind filters and the log's verification."""
    account, session = await session_for_staff(request)
    groups = chosen_groups(request)
    await audit(request, account, "timeline", f"session:{session.id}")
    log = services(request).log
    events = await log.read(session.id)
    return render(
        request,
        "review/timeline.html",
        title=f"Timeline: {session.title}",
        session=session,
        entries=timeline(events, groups, await records(request).usernames()),
        verified=await log.verify(session.id),
        groups=GROUP_NAMES,
        chosen=groups or [],
        recorded=(services(request).config.recordings_dir / session.id).is_dir(),
        when=when,
    )


@routes.get("/review/sessions/{session_id}/recordings")
@page
async def recordings_page(request: web.Request) -> web.StreamResponse:
    """Players for the recordings of participants who consent."""
    account, session = await session_for_staff(request)
    await audit(request, account, "recordings", f"session:{session.id}")
    files = await recordings(request).playable(session.id)
    names = roster_of(await services(request).log.read(session.id))
    return render(
        request,
        "review/recordings.html",
        title=f"Recordings: {session.title}",
        session=session,
        files=files,
        name_of=names.name,
    )


@routes.get("/review/sessions/{session_id}/attendance")
@page
async def attendance_page(request: web.Request) -> web.StreamResponse:
    """Who came, for how long, drops, lateness."""
    account, session = await session_for_staff(request)
    await audit(request, account, "attendance", f"session:{session.id}")
    record = await records(request).record(session)
    report = attendance(session, record.events, record.client_refs())
    return render(
        request,
        "review/attendance.html",
        title=f"Attendance: {session.title}",
        session=session,
        people=report.as_dict()["people"],
        when=when,
    )


@routes.get("/review/clients/{client_ref}")
@page
async def client_page(request: web.Request) -> web.StreamResponse:
    """One client across the sessions the account may review, with charts."""
    account = await current_account(request)
    ref = request.match_info["client_ref"][:64]
    found = await records(request).of_client(ref, account)
    if not found:
        raise NotFound("There are no sessions of this client that you may review.")
    await audit(request, account, "client_report", f"client:{ref}")
    report = client_report(ref, found)
    return render(
        request,
        "review/client.html",
        title=f"Client {ref}",
        report=report,
        figures=report.figures(),
        change=report.as_dict()["scale_change"],
        completed=completed_modules(report),
        graduated=graduated(report),
        scale_rows=scale_by_session(report.scale),
        day=day,
        when=when,
    )


@routes.get("/review/program")
@page
async def program_page(request: web.Request) -> web.StreamResponse:
    """Program figures per clinician or group, attendance over time, modules completed.

    Per group (``by=title``) also who joined each group when (open enrollment).
    """
    account = await current_account(request)
    by = request.query.get("by", "leader")
    if by not in GROUPINGS:
        raise InvalidInput(f"by must be one of: {', '.join(GROUPINGS)}")
    await audit(request, account, "program", f"program:{by}")
    source = records(request)
    visible = await source.summarised(account)
    rows, total = program(visible, by, await source.usernames())
    joins = group_joins(visible) if by == "title" else []
    return render(
        request,
        "review/program.html",
        title="Program report",
        by=by,
        rows=[r.as_dict() for r in [*rows, total]],
        over_time=attendance_over_time(visible),
        completed=modules_completed(visible),
        joins=joins,
        joins_per_month=months_total(joins),
        day=day,
    )
