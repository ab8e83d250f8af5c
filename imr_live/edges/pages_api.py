"""Small JSON endpoints the pages need: script, staff to pick, IMR Scales, network check."""

from __future__ import annotations

import logging
import secrets
import time
import weakref
from collections import OrderedDict
from typing import Any

from aiohttp import web

from imr_live.domain import imr_scales
from imr_live.domain.rate_limit import TokenBucket
from imr_live.domain.roles import StaffRole
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.sessions import Session
from imr_live.edges.http_api import (
    JOIN_TOKEN_HEADER,
    current_account,
    lead_in_session,
    services,
)
from imr_live.errors import ImrError

log = logging.getLogger("imr_live.pages")
routes = web.RouteTableDef()
NETCHECK_BYTES = 16 * 1024
NETCHECK_LARGE_BYTES = 200 * 1024
NETCHECK_BURST = 12
"""Check fetches one caller may make at once: three whole checks (four fetches each)."""
NETCHECK_PER_SECOND = 0.2
"""Then one fetch every 5 s, enough for the "Check again" button now and then."""
NETCHECK_CALLERS = 10_000
"""Budgets kept at most (the least recently used are forgotten first)."""
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
    scenario, roles, steps}], "home_practice": {id, text} | null, "polls": [{id, question,
    options, multiple}]}``; the lists are empty
    and the suggested home practice null when the session has no script.
    Slides come from ``ScriptLibrary.deck``; role plays from the curriculum's
    ``session(ref).role_plays`` (the only part not in the ScriptLibrary protocol).
    """
    session = await session_for_leads(request)
    scripts = services(request).scripts
    ref = session.script_ref
    if ref is None or scripts is None:
        return web.json_response(
            {
                "script_ref": ref,
                "slides": [],
                "role_plays": [],
                "home_practice": None,
                "polls": [],
            }
        )
    slides = [
        {"index": i, "id": sid, "title": scripts.slide(sid).title}
        for i, sid in enumerate(scripts.deck(ref))
    ]
    return web.json_response(
        {
            "script_ref": ref,
            "slides": slides,
            "role_plays": _role_plays(scripts, ref),
            "home_practice": _home_practice(scripts, ref),
            "polls": _polls(scripts, ref),
        }
    )


async def session_for_leads(request: web.Request) -> Session:
    """The session in the URL for its leads: signed-in staff, or a co-leader's join link.

    A join page sends its token in ``X-Join-Token``; the link must be valid, open
    this session and carry the co-leader role (clients and others are refused).
    """
    _lead, session = await lead_in_session(request)
    return session


def _role_plays(scripts: ScriptLibrary, ref: str) -> list[dict[str, Any]]:
    curriculum = getattr(scripts, "curriculum", None)
    try:
        found = curriculum.session(ref).role_plays if curriculum is not None else []
    except (ImrError, AttributeError):
        return []
    return [scripts.role_play(rp.id).model_dump(mode="json") for rp in found]


def _polls(scripts: ScriptLibrary, ref: str) -> list[dict[str, Any]]:
    """The script's polls (``{id, question, options, multiple}``) a leader may ask."""
    curriculum = getattr(scripts, "curriculum", None)
    try:
        found = curriculum.session(ref).polls if curriculum is not None else []
    except (ImrError, AttributeError):
        return []
    return [
        {"id": p.id, "question": p.question, "options": p.options, "multiple": p.multiple}
        for p in found
    ]


def _home_practice(scripts: ScriptLibrary, ref: str) -> dict[str, str] | None:
    """The script's suggested home practice (``{id, text}``), None without a curriculum."""
    curriculum = getattr(scripts, "curriculum", None)
    try:
        home = curriculum.session(ref).home_assignment if curriculum is not None else None
    except (ImrError, AttributeError):
        return None
    return {"id": home.id, "text": home.text} if home is not None else None


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


class NetcheckBudgets:
    """A token bucket per network-check caller (a join link or a staff account)."""

    def __init__(self) -> None:
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()

    def take(self, caller: str) -> None:
        """Spend one fetch of ``caller``'s budget or raise RateLimited."""
        bucket = self._buckets.pop(caller, None) or TokenBucket(NETCHECK_PER_SECOND, NETCHECK_BURST)
        self._buckets[caller] = bucket
        while len(self._buckets) > NETCHECK_CALLERS:
            self._buckets.popitem(last=False)
        bucket.take()


_budgets: weakref.WeakKeyDictionary[web.Application, NetcheckBudgets] = weakref.WeakKeyDictionary()


async def netcheck_caller(request: web.Request) -> str:
    """Who asks for a check: a join link's invite or a staff account; NotAuthenticated if neither.

    A revoked or expired link is refused like a forged one.
    """
    token = request.headers.get(JOIN_TOKEN_HEADER)
    if token:
        invite = await services(request).links.check(token[:200])
        return f"invite:{invite.id}"
    account = await current_account(request)
    return f"staff:{account.id}"


async def _checked(request: web.Request, size: int) -> web.Response:
    caller = await netcheck_caller(request)
    budgets = _budgets.get(request.app) or _budgets.setdefault(request.app, NetcheckBudgets())
    budgets.take(caller)
    return _padded(size)


@routes.get("/api/imr-scales")
async def imr_scales_instrument(request: web.Request) -> web.Response:
    """The IMR Scales' questions and answers for the rating forms (no personal data).

    Open to anyone with the room page: a client on a join link fills their own version.
    """
    return web.json_response(imr_scales.as_json())


@routes.get("/api/netcheck")
async def netcheck(request: web.Request) -> web.Response:
    """A small uncacheable payload the pre-join check times to judge latency."""
    return await _checked(request, NETCHECK_BYTES)


@routes.get("/api/netcheck/large")
async def netcheck_large(request: web.Request) -> web.Response:
    """About 200 KB, uncacheable: the pre-join check times it to estimate throughput."""
    return await _checked(request, NETCHECK_LARGE_BYTES)


def _padded(size: int) -> web.Response:
    # Random text, so a compressing proxy on the way cannot make the link look faster.
    body = {"at": time.time(), "pad": secrets.token_urlsafe(size * 3 // 4)}
    return web.json_response(body, headers={"Cache-Control": "no-store"})
