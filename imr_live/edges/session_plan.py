"""``GET /api/sessions/{id}/plan``: the plan stored with a session at its creation
(``reports/session_plans``), with the plan's session after this session's script
(``next_session_ref``), which the staff page offers for the group's next session."""

from __future__ import annotations

from aiohttp import web

from imr_live.edges.http_api import services, session_for_staff
from imr_live.edges.review_common import audited
from imr_live.errors import NotFound
from imr_live.reports.session_plans import stored_plan

routes = web.RouteTableDef()


@routes.get("/api/sessions/{session_id}/plan")
async def session_plan(request: web.Request) -> web.Response:
    """The plan stored with the session when it was created (404 when it has none)."""
    account, session = await session_for_staff(request)
    await audited(request, account, "session_plan", f"session:{session.id}")
    found = await stored_plan(services(request).db, session.id)
    if found is None:
        raise NotFound("this session was created without a plan")
    return web.json_response(
        found.as_dict() | {"next_session_ref": found.after(session.script_ref)}
    )
