"""What the review routes and pages share: the report records, audit rows, CSV downloads."""

from __future__ import annotations

from aiohttp import web

from imr_live.curriculum import Curriculum, Plan
from imr_live.domain.accounts import Account
from imr_live.edges.http_api import services
from imr_live.errors import InvalidInput
from imr_live.reports.audit import AuditLog
from imr_live.reports.client_report import ClientReport, client_report
from imr_live.reports.records import ReportRecords, SessionRecord
from imr_live.reports.session_plans import latest_plan


def records(request: web.Request) -> ReportRecords:
    """What reports read, over this process's stores and curriculum."""
    s = services(request)
    return ReportRecords(s.db, s.log, s.sessions, curriculum(request))


def curriculum(request: web.Request) -> Curriculum | None:
    """The loaded curriculum (None when the scripts given to the app are not one)."""
    found = getattr(services(request).scripts, "curriculum", None)
    return found if isinstance(found, Curriculum) else None


async def report_of(request: web.Request, ref: str, found: list[SessionRecord]) -> ClientReport:
    """A client's report, measured against the plan stored with their latest session that has
    one (``reports/session_plans``); ``?plan=<id>`` measures it against that plan instead.
    Without either, the plan is chosen from the curriculum (``completion.choose_plan``)."""
    known = curriculum(request)
    plan_id = request.query.get("plan")
    if plan_id is not None and known is None:
        raise InvalidInput("plan: this server has no curriculum loaded")
    plan: Plan | None
    if known is not None and plan_id is not None:
        plan = known.plan(plan_id[:100])
    else:
        plan = await latest_plan(services(request).db, known, [r.session for r in found])
    return client_report(ref, found, known, plan, services(request).config.attendance_share)


def wants_csv(request: web.Request) -> bool:
    """True for ``?format=csv``; JSON is the default."""
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise InvalidInput("format must be json or csv")
    return fmt == "csv"


async def audited(request: web.Request, account: Account, report: str, target: str) -> bool:
    """Write the audit row of this view or export; return whether CSV was asked for."""
    as_csv = wants_csv(request)
    action = f"{'export' if as_csv else 'view'}.{report}"
    await AuditLog(services(request).db).record(account.id, action, target)
    return as_csv


def csv_response(text: str, name: str) -> web.Response:
    """A CSV download."""
    return web.Response(
        text=text,
        content_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
