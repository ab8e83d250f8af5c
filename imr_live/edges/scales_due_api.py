"""``GET /api/sessions/{id}/scales-due``: the IMR Scales ratings due or overdue for the
session's clients, for the room's reminder to its leads (``reports/scale_schedule``).

Only the session's leaders and co-leaders (signed in) may ask; every client read
writes a ``view.scales_due`` audit row before anything leaves. Only ratings that
are due or overdue are sent, by participant (the room knows who is in).
"""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.clock import now_us
from imr_live.domain.roles import LEADS, Role
from imr_live.edges.http_api import current_account, services
from imr_live.edges.review_common import records, report_of
from imr_live.errors import Forbidden
from imr_live.reports.audit import AuditLog
from imr_live.reports.scale_schedule import DAY_US, scales_due

routes = web.RouteTableDef()
SHOWN = frozenset({"due", "overdue"})


@routes.get("/api/sessions/{session_id}/scales-due")
async def session_scales_due(request: web.Request) -> web.Response:
    """Ratings due or overdue for this session's clients: ``{clients: [{participant, ratings}]}``."""
    account = await current_account(request)
    s = services(request)
    session = await s.sessions.get(request.match_info["session_id"])
    if session.staff_role(account) not in LEADS:
        raise Forbidden("only the leaders of this session see when its clients' ratings are due")
    invites = await s.links.for_session(session.id)
    mine = [i for i in invites if i.role is Role.CLIENT and i.client_ref]
    refs = sorted({i.client_ref for i in mine if i.client_ref})
    audit = AuditLog(s.db)
    for ref in refs:
        await audit.record(account.id, "view.scales_due", f"client:{ref}")
    now = now_us()
    due: dict[str, list[dict[str, object]]] = {}
    for ref in refs:
        found = records(request)
        report = await report_of(request, ref, await found.of_client(ref, account))
        elsewhere = await found.last_rated(ref)  # a colleague's sessions count too
        due[ref] = [
            {
                "rater": d.rater,
                "status": d.status,
                "last_at": d.last_at,
                "days_since_last": None if d.last_at is None else (now - d.last_at) // DAY_US,
            }
            for d in scales_due(report, now, s.config.imr_scales_due_days, elsewhere)
            if d.status in SHOWN
        ]
    clients = [
        {"participant": i.id, "ratings": due[str(i.client_ref)]}
        for i in mine
        if due[str(i.client_ref)]
    ]
    return web.json_response({"session_id": session.id, "clients": clients})
