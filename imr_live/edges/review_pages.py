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
from imr_live.domain.care_plans import CarePlans
from imr_live.domain.clock import now_us
from imr_live.domain.fidelity import (
    ITIS,
    ITIS_ITEMS,
    PROGRAM,
    PROGRAM_ITEMS,
    SCORE_WORDS,
    SOURCES,
    FidelityRatings,
    over_time,
)
from imr_live.domain.roles import LEADS, StaffRole
from imr_live.domain.sessions import Session, SessionFormat
from imr_live.edges.http_api import current_account, services, session_for_staff
from imr_live.edges.pages import render
from imr_live.edges.review_common import curriculum, records, report_of
from imr_live.edges.review_exports import certificate_register, recordings
from imr_live.edges.review_fidelity import evidence
from imr_live.edges.review_plans import plan_view
from imr_live.errors import (
    Conflict,
    Forbidden,
    ImrError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
)
from imr_live.reports.attendance import attendance
from imr_live.reports.audit import AuditLog
from imr_live.reports.certificate_pdf import HEADLINES, long_date
from imr_live.reports.certificates import completed_modules, graduated
from imr_live.reports.enrollment import group_joins, months_total
from imr_live.reports.modules import module_title
from imr_live.reports.program import GROUPINGS, program
from imr_live.reports.progress_notes import progress_notes
from imr_live.reports.roster import roster_of
from imr_live.reports.scale import (
    latest_subscales,
    old_form_change,
    scale_by_session,
    scale_change,
    scale_gaps,
)
from imr_live.reports.scale_schedule import due_list, scales_due
from imr_live.reports.session_plans import stored_plan, stored_plans
from imr_live.reports.timeline import GROUPS, timeline
from imr_live.reports.trends import (
    attendance_over_time,
    client_reports,
    graduations,
    modules_completed,
    program_scale,
)
from imr_live.resources import CHART_JS

GROUP_NAMES = [*GROUPS, "other"]
STATUS_WORDS = {"scheduled": "Upcoming", "live": "Live now", "ended": "Ended"}
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


async def writes_plans(request: web.Request, account: Account, ref: str) -> bool:
    """Whether the account may write the client's plans (leads one of their sessions)."""
    s = services(request)
    try:
        await CarePlans(s.db, s.sessions).check_lead(account, ref)
    except Forbidden:
        return False
    return True


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


@routes.get("/verify/{code}")
async def verify_page(request: web.Request) -> web.StreamResponse:
    """Public: whether a certificate's code is one we issued, with what it shows (no login)."""
    verdict = await certificate_register(request).check(request.match_info["code"][:40])
    shown = verdict.shown or {}
    return render(
        request,
        "review/verify.html",
        200 if verdict.valid else 404,
        title="Check a certificate",
        verdict=verdict,
        headline=HEADLINES.get(str(shown.get("kind")), ("",))[0],
        date=long_date(int(shown.get("at", 0))),
    )


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
        plan=await stored_plan(services(request).db, session.id),
        newcomers=await newcomers(request, account, session),
        when=when,
    )


async def newcomers(request: web.Request, account: Account, session: Session) -> list[str]:
    """Warnings about clients who joined the group (same title) in this session mid-course."""
    source = records(request)
    group = [r for r in await source.summarised(account) if r.session.title == session.title]
    return [
        j.warning
        for g in group_joins(group, source.curriculum)
        for j in g.joins
        if j.session_id == session.id and j.warning
    ]


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


@routes.get("/review/sessions/{session_id}/notes")
@page
async def notes_page(request: web.Request) -> web.StreamResponse:
    """Each client's progress note: the draft to edit and sign (leads), signed text, amendments."""
    account, session = await session_for_staff(request)
    record = await records(request).record(session)
    if not record.ended:
        raise Conflict("Progress notes are drafted when the session has ended.")
    notes = progress_notes(record, curriculum(request))
    await audit(request, account, "notes", f"session:{session.id}")
    return render(
        request,
        "review/notes.html",
        title=f"Progress notes: {session.title}",
        session=session,
        notes=notes,
        signs=session.staff_role(account) in LEADS,
        staff=await records(request).usernames(),
        when=when,
    )


@routes.get("/review/sessions/{session_id}/fidelity")
@page
async def session_fidelity_page(request: web.Request) -> web.StreamResponse:
    """The session's IT-IS ratings, the log's evidence, and the rating form (supervisors)."""
    account, session = await session_for_staff(request)
    await audit(request, account, "itis", f"session:{session.id}")
    record = await records(request).record(session)
    group = session.format is SessionFormat.GROUP
    ratings = await FidelityRatings(services(request).db).of_target(ITIS, f"session:{session.id}")
    return render(
        request,
        "review/fidelity_session.html",
        title=f"Fidelity (IT-IS): {session.title}",
        session=session,
        evidence=evidence(record),
        ratings=ratings,
        items=[i for i in ITIS_ITEMS if group or not i.group_only],
        all_items=ITIS_ITEMS,
        group=group,
        rates=account.role in (StaffRole.SUPERVISOR, StaffRole.ADMIN),
        staff=await records(request).usernames(),
        sources=SOURCES,
        score_words=SCORE_WORDS,
        when=when,
    )


@routes.get("/review/fidelity")
@page
async def fidelity_page(request: web.Request) -> web.StreamResponse:
    """IT-IS means per clinician and month; the program's IMR Fidelity Scale ratings and form."""
    account = await current_account(request)
    await audit(request, account, "fidelity", "fidelity:itis")
    store = FidelityRatings(services(request).db)
    visible = {f"session:{s.id}" for s in await services(request).sessions.for_account(account)}
    itis = [r for r in await store.all(ITIS) if r.target in visible]
    supervises = account.role in (StaffRole.SUPERVISOR, StaffRole.ADMIN)
    return render(
        request,
        "review/fidelity.html",
        title="Fidelity",
        by_clinician=over_time(itis, "leader_id"),
        program=await store.all(PROGRAM) if supervises else [],
        items=PROGRAM_ITEMS,
        rates=supervises,
        staff=await records(request).usernames(),
        sources=SOURCES,
        score_words=SCORE_WORDS,
        when=when,
    )


@routes.get("/review/scales-due")
@page
async def scales_due_page(request: web.Request) -> web.StreamResponse:
    """Which clients' IMR Scales ratings are overdue, due or coming up."""
    account = await current_account(request)
    await audit(request, account, "scales_due", "program:scales_due")
    source = records(request)
    s = services(request)
    clients = client_reports(
        await source.visible_to(account), source.curriculum, s.config.attendance_share
    )
    return render(
        request,
        "review/scales_due.html",
        title="IMR Scales due",
        due=due_list(clients, now_us(), s.config.imr_scales_due_days),
        every=s.config.imr_scales_due_days,
        day=day,
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
    report = await report_of(request, ref, found)
    s = services(request)
    return render(
        request,
        "review/client.html",
        title=f"Client {ref}",
        report=report,
        figures=report.figures(),
        change=scale_change(report.scale),
        change_old=old_form_change(report.scale),
        gaps=scale_gaps(report.scale),
        completed=completed_modules(report),
        graduated=graduated(report),
        scale_rows=scale_by_session(report.scale),
        subscales=latest_subscales(report.scale),
        due=scales_due(report, now_us(), s.config.imr_scales_due_days),
        plans=plan_view(await CarePlans(s.db, s.sessions).of_client(ref)),
        writes_plans=await writes_plans(request, account, ref),
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
    usernames = await source.usernames()
    rows, total = program(visible, by, usernames)
    joins = group_joins(visible, source.curriculum) if by == "title" else []
    by_clinician: dict[str, list[Session]] = {}
    for record in sorted(visible, key=lambda r: -r.session.scheduled_at):
        by_clinician.setdefault(record.session.leader_id, []).append(record.session)
    clinicians = sorted(
        (
            (usernames.get(lid, "unknown clinician"), f"clinician-{lid}", found)
            for lid, found in by_clinician.items()
        ),
        key=lambda c: c[0],
    )
    share = services(request).config.attendance_share
    ids = [r.session.id for r in visible]
    plans = await stored_plans(services(request).db, source.curriculum, ids)
    clients = client_reports(visible, source.curriculum, share, plans)
    return render(
        request,
        "review/program.html",
        title="Program report",
        by=by,
        rows=[r.as_dict() for r in [*rows, total]],
        over_time=attendance_over_time(visible),
        completed=modules_completed(clients),
        graduations=graduations(clients),
        scale=program_scale(clients),
        title_of=lambda m: module_title(m, source.curriculum),
        plan_title=lambda p: source.curriculum.plan(p).title if source.curriculum else p,
        joins=joins,
        joins_per_month=months_total(joins),
        clinicians=clinicians,
        status_words=STATUS_WORDS,
        anchors={name: anchor for name, anchor, _ in clinicians},
        day=day,
    )
