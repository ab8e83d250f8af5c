"""A client's relapse-prevention and stress plans over HTTP, and the leads' one-tap view.

Reading: staff with a role in one of the client's sessions (their leads,
supervisors, admins). Writing: the clinicians who lead or co-lead one of the
client's sessions. Every view, change and export writes an audit row first.
"""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.care_plans import SECTIONS, CarePlans, PlanVersion
from imr_live.domain.roles import LEADS, Role
from imr_live.edges.http_api import current_account, json_body, services
from imr_live.errors import Forbidden, NotFound
from imr_live.reports.audit import AuditLog
from imr_live.reports.fhir import care_plan_bundle

routes = web.RouteTableDef()


def plans(request: web.Request) -> CarePlans:
    """The care-plan store of this process."""
    s = services(request)
    return CarePlans(s.db, s.sessions)


def plan_view(history: dict[str, list[PlanVersion]]) -> dict[str, object]:
    """Each plan's current version and every version, oldest first."""
    return {
        kind: {
            "current": versions[-1].as_dict() if versions else None,
            "versions": [v.as_dict() for v in versions],
            "sections": SECTIONS[kind],
        }
        for kind, versions in history.items()
    }


@routes.get("/api/clients/{client_ref}/plans")
async def client_plans(request: web.Request) -> web.Response:
    """Both plans of a client, each with every version kept."""
    account = await current_account(request)
    ref = request.match_info["client_ref"][:64]
    store = plans(request)
    await store.check_reader(account, ref)
    await AuditLog(services(request).db).record(account.id, "view.care_plans", f"client:{ref}")
    return web.json_response({"client_ref": ref, "plans": plan_view(await store.of_client(ref))})


@routes.put("/api/clients/{client_ref}/plans/{kind}")
async def save_plan(request: web.Request) -> web.Response:
    """Save a new version: ``{content: {section: [text, ...]}, base_version, note}``."""
    account = await current_account(request)
    ref, kind = request.match_info["client_ref"][:64], request.match_info["kind"][:40]
    body = await json_body(request)
    saved = await plans(request).save(
        account, ref, kind, body.get("content"), body.get("base_version"), body.get("note")
    )
    target = f"client:{ref}/plan:{kind}"
    await AuditLog(services(request).db).record(account.id, "write.care_plan", target)
    return web.json_response(saved.as_dict())


@routes.get("/api/clients/{client_ref}/plans/fhir")
async def plans_fhir(request: web.Request) -> web.Response:
    """The current plans as FHIR R4 CarePlans (each with its version) in a Bundle."""
    account = await current_account(request)
    ref = request.match_info["client_ref"][:64]
    store = plans(request)
    await store.check_reader(account, ref)
    await AuditLog(services(request).db).record(
        account.id, "export.care_plans.fhir", f"client:{ref}"
    )
    bundle = care_plan_bundle(ref, list((await store.current(ref)).values()))
    return web.json_response(bundle, content_type="application/fhir+json")


@routes.get("/api/sessions/{session_id}/participants/{participant_id}/plan")
async def safety_plan(request: web.Request) -> web.Response:
    """For a session's leads, in the room: a client's current plans (one tap away)."""
    account = await current_account(request)
    s = services(request)
    session = await s.sessions.get(request.match_info["session_id"][:40])
    if session.staff_role(account) not in LEADS:
        raise Forbidden("only the leaders of this session see its clients' plans")
    try:
        invite = await s.links.get(request.match_info["participant_id"][:40])
    except NotFound:
        invite = None
    if invite is None or invite.session_id != session.id or invite.role is not Role.CLIENT:
        raise NotFound("no such client in this session")
    target = f"session:{session.id}/participant:{invite.id}"
    await AuditLog(s.db).record(account.id, "view.safety_plan", target)
    if not invite.client_ref:
        return web.json_response({"participant": invite.id, "plans": []})
    current = await plans(request).current(invite.client_ref)
    return web.json_response(
        {"participant": invite.id, "plans": [p.for_client() for p in current.values()]}
    )
