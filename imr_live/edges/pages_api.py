"""Small JSON endpoints the pages need: a session's script, staff to pick, a network check."""

from __future__ import annotations

import secrets
import time
from typing import Any

from aiohttp import web

from imr_live.domain.roles import StaffRole
from imr_live.domain.scripts import ScriptLibrary
from imr_live.edges.http_api import current_account, services, session_for_staff
from imr_live.errors import ImrError

routes = web.RouteTableDef()
NETCHECK_BYTES = 16 * 1024
NETCHECK_LARGE_BYTES = 200 * 1024
CAN_CO_LEAD = (StaffRole.CLINICIAN, StaffRole.CO_LEADER)


def script_choices(scripts: ScriptLibrary | None) -> list[dict[str, str]]:
    """Every session script as ``{ref, title}`` for the create-session form."""
    curriculum = getattr(scripts, "curriculum", None)
    choices: list[dict[str, str]] = []
    for module in getattr(curriculum, "modules", []):
        for session in module.sessions:
            parts = (getattr(module, "title", ""), getattr(session, "number", ""))
            heading = " ".join(str(p) for p in parts if p) or session.ref
            title = getattr(session, "title", "")
            choices.append(
                {"ref": session.ref, "title": f"{heading}: {title}" if title else heading}
            )
    return choices


@routes.get("/api/sessions/{session_id}/script")
async def session_script(request: web.Request) -> web.Response:
    """The session's deck (slide ids and titles) and role plays, for its leaders.

    Returns ``{"script_ref", "slides": [{index, id, title}], "role_plays": [{id, title,
    scenario, roles, steps}]}``; both lists are empty when the session has no script.
    Slides come from ``ScriptLibrary.deck``; role plays from the curriculum's
    ``session(ref).role_plays`` (the only part not in the ScriptLibrary protocol).
    """
    _account, session = await session_for_staff(request, lead=True)
    scripts = services(request).scripts
    ref = session.script_ref
    if ref is None or scripts is None:
        return web.json_response({"script_ref": ref, "slides": [], "role_plays": []})
    slides = [
        {"index": i, "id": sid, "title": scripts.slide(sid).get("title", sid)}
        for i, sid in enumerate(scripts.deck(ref))
    ]
    return web.json_response(
        {"script_ref": ref, "slides": slides, "role_plays": _role_plays(scripts, ref)}
    )


def _role_plays(scripts: ScriptLibrary, ref: str) -> list[dict[str, Any]]:
    curriculum = getattr(scripts, "curriculum", None)
    try:
        found = curriculum.session(ref).role_plays if curriculum is not None else []
    except (ImrError, AttributeError):
        return []
    return [scripts.role_play(rp.id) for rp in found]


@routes.get("/api/staff")
async def staff_list(request: web.Request) -> web.Response:
    """Staff who may co-lead a session (clinicians and co-leaders), for signed-in staff."""
    await current_account(request)
    accounts = await services(request).accounts.all()
    return web.json_response(
        {
            "staff": [
                {"id": a.id, "username": a.username, "role": a.role.value}
                for a in accounts
                if a.role in CAN_CO_LEAD
            ]
        }
    )


@routes.get("/api/netcheck")
async def netcheck(request: web.Request) -> web.Response:
    """A small uncacheable payload the pre-join check times to judge latency."""
    return _padded(NETCHECK_BYTES)


@routes.get("/api/netcheck/large")
async def netcheck_large(request: web.Request) -> web.Response:
    """About 200 KB, uncacheable: the pre-join check times it to estimate throughput."""
    return _padded(NETCHECK_LARGE_BYTES)


def _padded(size: int) -> web.Response:
    # Random text, so a compressing proxy on the way cannot make the link look faster.
    body = {"at": time.time(), "pad": secrets.token_urlsafe(size * 3 // 4)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})
