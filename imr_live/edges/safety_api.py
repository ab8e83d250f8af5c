"""Where a session's clients are and how to reach them: for its leads and supervisors, audited.

The safety checks are personal data: only the session's leads and supervisors
(and admins) read them, every view and export writes an audit row first, and no
other report or export includes them.
"""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.safety import SafetyChecks
from imr_live.edges.http_api import services, session_for_staff
from imr_live.edges.review_common import audited, csv_response
from imr_live.errors import NotFound
from imr_live.reports.csv_table import to_csv

routes = web.RouteTableDef()
COLUMNS = ["participant", "location", "callback", "emergency_contact", "confirmed_at"]


@routes.get("/api/sessions/{session_id}/safety")
async def session_safety(request: web.Request) -> web.Response:
    """Every client's safety check in the session (``?format=csv`` exports it)."""
    account, session = await session_for_staff(request)
    as_csv = await audited(request, account, "safety", f"session:{session.id}")
    checks = [c.as_dict() for c in await SafetyChecks(services(request).db).of_session(session.id)]
    if as_csv:
        return csv_response(to_csv(checks, COLUMNS), f"safety-{session.id}")
    return web.json_response({"session": session.id, "checks": checks})


@routes.get("/api/sessions/{session_id}/safety/{participant_id}")
async def participant_safety(request: web.Request) -> web.Response:
    """One client's safety check (the leads' view when the client's video drops)."""
    account, session = await session_for_staff(request)
    pid = request.match_info["participant_id"][:40]
    await audited(request, account, "safety", f"session:{session.id}/participant:{pid}")
    check = await SafetyChecks(services(request).db).get(session.id, pid)
    if check is None:
        raise NotFound("this person has not said where they are yet")
    return web.json_response(check.as_dict())
