"""What the review routes and pages share: the report records, audit rows, CSV downloads."""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.edges.http_api import services
from imr_live.errors import InvalidInput
from imr_live.reports.audit import AuditLog
from imr_live.reports.records import ReportRecords


def records(request: web.Request) -> ReportRecords:
    """What reports read, over this process's stores."""
    s = services(request)
    return ReportRecords(s.db, s.log, s.sessions, s.links)


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
