"""The JSON HTTP API: staff sign-in, sessions, invites, the session log."""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohttp import web

from imr_live.curriculum import Curriculum
from imr_live.domain.accounts import Account
from imr_live.domain.phone_calls import Outcome, PhoneCalls
from imr_live.domain.phone_pins import PHONE_ROLES, PhonePins, dial_number
from imr_live.domain.roles import LEADS, Role, StaffRole
from imr_live.domain.sessions import Session, SessionStatus
from imr_live.edges import addresses
from imr_live.edges.keys import SERVICES
from imr_live.edges.live_socket import STAFF_COOKIE
from imr_live.errors import (
    Conflict,
    Forbidden,
    ImrError,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Unavailable,
)
from imr_live.reports.session_plans import chosen_plan, store_plan
from imr_live.services import Services

log = logging.getLogger("imr_live.http")
routes = web.RouteTableDef()
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
JOIN_TOKEN_HEADER = "X-Join-Token"
"""A join page's own token, sent in a header (never in a URL): the network check, and the
leads' tools for a co-leader who came by link."""
SOCKET_IO_PATH = "/socket.io/"
"""Engine.IO checks its own origins (``cors_origins``) and authenticates each socket once."""


class CrossSite(Forbidden):
    """A state-changing request that a page on another origin made."""

    code = "cross_site"


class UnsupportedMediaType(InvalidInput):
    """A JSON route was sent some other kind of body."""

    code = "unsupported_media_type"
    status = 415


@web.middleware
async def errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn domain errors into JSON (API) responses with their code."""
    try:
        return await handler(request)
    except ImrError as exc:
        log.info("%s %s refused: %s", request.method, request.match_info.route.resource, exc.code)
        if not request.path.startswith("/api/"):  # pages show plain text
            return web.Response(text=exc.message, status=exc.status)
        return web.json_response({"error": exc.as_dict()}, status=exc.status)


@web.middleware
async def same_origin_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse state-changing requests from other origins (CSRF).

    A browser names the page's origin in ``Origin`` (and ``Sec-Fetch-Site``) on every
    request but GET and HEAD; a foreign one is refused whoever is signed in. A request
    that carries the staff cookie must name one, since the cookie alone is what a page
    on another origin (another port of this host included) could borrow. Callers with
    a bearer token, which no browser attaches on its own, need neither.
    """
    if request.method not in SAFE_METHODS and not request.path.startswith(SOCKET_IO_PATH):
        _check_same_origin(request)
    return await handler(request)


def _check_same_origin(request: web.Request) -> None:
    refused = CrossSite("this request came from another website, so it was refused")
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise refused
    origin = request.headers.get("Origin")
    if origin is not None and not _is_own_origin(request, origin):
        raise refused
    if origin is None and fetch_site is None and STAFF_COOKIE in request.cookies:
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            raise refused


def _is_own_origin(request: web.Request, origin: str) -> bool:
    """``origin`` is the public URL's, or (without one) names the host the request went to."""
    public_url = services(request).config.public_url
    if public_url:
        public = urlsplit(public_url)
        return origin == f"{public.scheme}://{public.netloc}"
    parts = urlsplit(origin)
    # Behind a TLS proxy the request arrives as http while the page is https.
    return parts.scheme in ("http", "https") and parts.netloc == request.host


MIDDLEWARES = (errors_middleware, same_origin_middleware)
"""The application's middlewares, outermost first (errors wrap the origin check)."""


def services(request: web.Request) -> Services:
    """The process's services."""
    return request.app[SERVICES]


def staff_token(request: web.Request) -> str | None:
    """The login token from the cookie or an ``Authorization: Bearer`` header."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip()
    return request.cookies.get(STAFF_COOKIE)


def client_address(request: web.Request) -> str:
    """The client's address (``addresses.behind_proxies``: X-Forwarded-For only from trusted proxies)."""
    forwarded = ",".join(request.headers.getall("X-Forwarded-For", []))
    trusted = services(request).config.trusted_proxies
    return addresses.behind_proxies(request.remote or "", forwarded, trusted)


async def current_account(request: web.Request) -> Account:
    """The signed-in staff account; NotAuthenticated otherwise."""
    token = staff_token(request)
    if not token:
        raise NotAuthenticated("please sign in")
    return await services(request).accounts.from_token(token)


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object body (415 for a body of another type)."""
    if request.content_type != "application/json":
        raise UnsupportedMediaType("send the request body as JSON (application/json)")
    try:
        body = await request.json()
    except ValueError as exc:
        raise InvalidInput("the request body must be JSON") from exc
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object")
    return body


async def session_for_staff(request: web.Request, *, lead: bool = False) -> tuple[Account, Session]:
    """The session in the URL if the account has a role there (a lead role if ``lead``)."""
    account = await current_account(request)
    session = await services(request).sessions.get(request.match_info["session_id"])
    role = session.staff_role(account)
    if role is None or (lead and role not in LEADS and account.role is not StaffRole.ADMIN):
        raise Forbidden("you have no access to this session")
    return account, session


async def lead_in_session(request: web.Request) -> tuple[str, Session]:
    """The lead asking and the session in the URL: a signed-in lead's account id, or the
    invite id of a co-leader who came by link.

    A join page sends its token in ``X-Join-Token``; the link must be valid, open this
    session and carry the co-leader role (clients and others are refused).
    """
    token = request.headers.get(JOIN_TOKEN_HEADER)
    if token is None:
        account, session = await session_for_staff(request, lead=True)
        return account.id, session
    found = services(request)
    session = await found.sessions.get(request.match_info["session_id"])
    invite = await found.links.check(token[:200], session)
    if invite.session_id != session.id or invite.role is not Role.CO_LEADER:
        log.info("leads' request refused to invite %s (%s)", invite.id, invite.role.value)
        raise Forbidden("only the session's leaders may do this")
    return invite.id, session


@routes.post("/api/login")
async def login(request: web.Request) -> web.Response:
    """Sign in with username and password; sets the staff cookie."""
    body = await json_body(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str):
        raise InvalidInput("username and password are required")
    address = client_address(request)
    account, token = await services(request).accounts.login(username, password, address)
    response = web.json_response(
        {
            "account": {"id": account.id, "role": account.role.value, "username": account.username},
            "token": token,
        }
    )
    response.set_cookie(
        STAFF_COOKIE,
        token,
        httponly=True,
        samesite="Strict",
        path="/",
        secure=services(request).config.production,
    )
    return response


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    """Sign out."""
    token = staff_token(request)
    if token:
        await services(request).accounts.logout(token)
    response = web.json_response({"ok": True})
    response.del_cookie(STAFF_COOKIE, path="/")
    return response


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    """Who is signed in."""
    account = await current_account(request)
    return web.json_response(
        {"id": account.id, "username": account.username, "role": account.role.value}
    )


@routes.get("/api/sessions")
async def list_sessions(request: web.Request) -> web.Response:
    """Sessions the signed-in account leads, co-leads or oversees."""
    account = await current_account(request)
    found = await services(request).sessions.for_account(account)
    return web.json_response({"sessions": [s.as_dict() for s in found]})


@routes.post("/api/sessions")
async def create_session(request: web.Request) -> web.Response:
    """Create a session (clinicians and admins)."""
    account = await current_account(request)
    body = await json_body(request)
    s = services(request)
    script_ref = body.get("script_ref")
    if script_ref is not None:
        if not isinstance(script_ref, str) or s.scripts is None:
            raise InvalidInput("script_ref: no such session script")
        s.scripts.deck(script_ref)
    co_leaders = body.get("co_leader_ids") or []
    if not isinstance(co_leaders, list) or not all(isinstance(x, str) for x in co_leaders):
        raise InvalidInput("co_leader_ids must be a list of account ids")
    for cid in co_leaders:
        if await s.accounts.get(cid) is None:
            raise InvalidInput(f"co_leader_ids: no account {cid[:40]}")
    scheduled = body.get("scheduled_at")
    if scheduled is not None and not isinstance(scheduled, int):
        raise InvalidInput("scheduled_at must be microseconds since the epoch")
    known = getattr(s.scripts, "curriculum", None)
    plan = chosen_plan(known if isinstance(known, Curriculum) else None, body)
    session = await s.sessions.create(
        account,
        str(body.get("title", "")),
        str(body.get("format", "")),
        scheduled,
        script_ref,
        co_leaders,
    )
    await store_plan(s.db, session, plan)
    return web.json_response(
        session.as_dict() | {"plan_id": plan[0].id if plan else None}, status=201
    )


@routes.get("/api/sessions/{session_id}")
async def get_session(request: web.Request) -> web.Response:
    """One session's details."""
    _account, session = await session_for_staff(request)
    return web.json_response(session.as_dict())


@routes.post("/api/sessions/{session_id}/invites")
async def create_invite(request: web.Request) -> web.Response:
    """A new join link for one person and role."""
    account, session = await session_for_staff(request, lead=True)
    body = await json_body(request)
    ttl = body.get("ttl_s", 14 * 24 * 3600)
    if not isinstance(ttl, int):
        raise InvalidInput("ttl_s must be a whole number of seconds")
    client_ref = body.get("client_ref")
    if client_ref is not None and not isinstance(client_ref, str):
        raise InvalidInput("client_ref must be a string")
    language, interprets_for = body.get("language"), body.get("interprets_for")
    for name, value in (("language", language), ("interprets_for", interprets_for)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"{name} must be a string")
    invite, token = await services(request).links.create(
        session,
        account,
        str(body.get("role")),
        ttl,
        client_ref,
        language,
        interprets_for,
        guest_window(body),
    )
    base = services(request).config.public_url or f"{request.scheme}://{request.host}"
    return web.json_response(
        {"invite": invite.as_dict(), "link": f"{base}/join/{token}", "token": token}, status=201
    )


def guest_window(body: dict[str, Any]) -> tuple[int, int] | None:
    """A guest speaker link's time window from ``window_start``/``window_end`` (both or
    neither; microseconds since the epoch, like ``scheduled_at``)."""
    start, end = body.get("window_start"), body.get("window_end")
    if start is None and end is None:
        return None
    if type(start) is not int or type(end) is not int:
        raise InvalidInput(
            "window_start and window_end: give both, in microseconds since the epoch"
        )
    return start, end


@routes.get("/api/sessions/{session_id}/invites")
async def list_invites(request: web.Request) -> web.Response:
    """Every invite of a session (without tokens), with the name its phone PIN joins as.

    For the session's leads; a co-leader who came by link gets what the room's phone tool
    needs (id, role, revoked, phone name), not the clinic's client numbers.
    """
    _lead, session = await lead_in_session(request)
    s = services(request)
    invites = await s.links.for_session(session.id)
    pins = PhonePins(s.db, s.links)
    by_link = JOIN_TOKEN_HEADER in request.headers
    listed = []
    for invite in invites:
        shown = invite.as_dict()
        if by_link:
            shown = {k: shown[k] for k in ("id", "role", "revoked")}
        listed.append(shown | {"phone_name": await pins.phone_name(invite.id)})
    return web.json_response({"invites": listed})


@routes.delete("/api/sessions/{session_id}/invites/{invite_id}")
async def revoke_invite(request: web.Request) -> web.Response:
    """Turn a join link off."""
    account, session = await session_for_staff(request, lead=True)
    invite = await services(request).links.get(request.match_info["invite_id"])
    if invite.session_id != session.id:
        raise Forbidden("that invite is not for this session")
    await services(request).links.revoke(invite.id)
    await services(request).channel.link_revoked(session.id, invite.id, account.id)
    return web.json_response({"ok": True})


@routes.get("/api/sessions/{session_id}/log")
async def read_log(request: web.Request) -> web.Response:
    """The session's events (staff with a role in the session)."""
    _account, session = await session_for_staff(request)
    events = await services(request).log.read(session.id)
    return web.json_response({"events": [e.as_dict() for e in events]})


@routes.get("/api/sessions/{session_id}/log/verify")
async def verify_log(request: web.Request) -> web.Response:
    """Whether the session's hash chain is intact."""
    _account, session = await session_for_staff(request)
    result = await services(request).log.verify(session.id)
    return web.json_response(
        {
            "ok": result.ok,
            "count": result.count,
            "first_bad_seq": result.first_bad_seq,
            "problem": result.problem,
        }
    )


@routes.get("/healthz")
async def healthz(request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"ok": True})


@routes.get("/readyz")
async def readyz(request: web.Request) -> web.Response:
    """Readiness: the database (and Redis, when shared) answer and the node accepts connections."""
    s = services(request)
    await s.db.fetch("SELECT 1 AS one")
    if not s.accepting:
        return web.json_response({"ok": False, "reason": "shutting down"}, status=503)
    try:
        await s.channel.recorder.coord.ping()
    except Unavailable as exc:
        return web.json_response({"ok": False, "reason": exc.message}, status=503)
    return web.json_response({"ok": True})


@routes.put("/api/sessions/{session_id}/invites/{invite_id}/phone")
async def set_phone_pin(request: web.Request) -> web.Response:
    """Give a join link a phone PIN and the name its caller joins with (leads only)."""
    _account, session = await session_for_staff(request, lead=True)
    s = services(request)
    invite = await s.links.get(request.match_info["invite_id"])
    if invite.session_id != session.id:
        raise Forbidden("that invite is not for this session")
    body = await json_body(request)
    pin, name = body.get("pin"), body.get("display_name")
    if not isinstance(pin, str) or not isinstance(name, str):
        raise InvalidInput("give pin (6-10 digits) and display_name as text")
    await PhonePins(s.db, s.links).set(invite, pin, name)
    return web.json_response({"ok": True, "invite": invite.as_dict() | {"phone_pin": True}})


def _gateway_only(request: web.Request) -> None:
    """Refuse anyone but the phone gateway (Bearer ``PHONE_GATEWAY_KEY``)."""
    key = services(request).config.phone_gateway_key
    given = staff_token(request) or ""
    if not key or not hmac.compare_digest(key.encode(), given.encode()):
        raise NotAuthenticated("only the phone gateway may do this")


@routes.post("/api/phone/pin")
async def resolve_phone_pin(request: web.Request) -> web.Response:
    """The phone gateway trades a caller's PIN for their join link's token and name."""
    s = services(request)
    _gateway_only(request)
    body = await json_body(request)
    pin = body.get("pin")
    if not isinstance(pin, str):
        raise InvalidInput("pin: the digits the caller typed")
    try:
        token, name = await PhonePins(s.db, s.links).resolve(pin)
    except (NotAuthenticated, NotFound):
        log.info("phone PIN refused")
        raise NotAuthenticated("that PIN is not right", code="bad_pin") from None
    return web.json_response({"token": token, "display_name": name})


DIAL_WAIT_S = 120.0
"""How long the server waits for the gateway to say how a call went (it rings ~45 s)."""
DIALLING: web.AppKey[set[asyncio.Task[None]]] = web.AppKey("dialling")
"""Calls this node waits on the gateway for; on shutdown it stops waiting (the gateway
reports each outcome itself)."""


async def stop_dialling(app: web.Application) -> None:
    """Shutdown: stop waiting for calls still ringing (their outcome comes by report)."""
    dialling: set[asyncio.Task[None]] = app[DIALLING]
    tasks = list(dialling)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@routes.post("/api/sessions/{session_id}/invites/{invite_id}/phone/call")
async def call_phone(request: web.Request) -> web.Response:
    """A lead has the phone gateway call this link's person (leads of a live session only:
    signed in, or a co-leader who came by link, whose invite id is then the call's actor).

    The number goes to the gateway and nowhere else: not into the log, the database or
    this server's log lines. The session log gets ``phone.call_placed`` and, once the
    gateway knows, ``phone.call_outcome``.
    """
    lead, session = await lead_in_session(request)
    s = services(request)
    invite = await s.links.get(request.match_info["invite_id"])
    if invite.session_id != session.id:
        raise Forbidden("that invite is not for this session")
    body = await json_body(request)
    number = dial_number(body.get("number"))
    if invite.role not in PHONE_ROLES:
        raise InvalidInput("only a client, observer or guest speaker can be called")
    if not s.config.phone_gateway_url or not s.config.phone_gateway_key:
        raise Unavailable("this clinic has no phone gateway set up", code="no_phone_gateway")
    if session.status is not SessionStatus.LIVE:
        raise Conflict("calls are placed from a live session")
    name = body.get("display_name")
    if name is None:
        name = await PhonePins(s.db, s.links).phone_name(invite.id)
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= 60:
        raise InvalidInput("display_name: the name to show for them, 1-60 characters")
    invite = await s.links.still_valid(invite.id)
    call = secrets.token_hex(6)
    calls = PhoneCalls(s.channel.recorder)
    await calls.placed(session.id, lead, invite.id, call)
    log.info("phone call %s placed for participant=%s", call, invite.id)
    order = {
        "call": call,
        "number": number,
        "token": s.links.token_for(invite.id),
        "display_name": name.strip(),
    }
    task = asyncio.create_task(_dial(s, calls, session.id, invite.id, order))
    dialling = request.app[DIALLING]
    dialling.add(task)
    task.add_done_callback(dialling.discard)
    return web.json_response({"ok": True, "call": call})


@routes.post("/api/phone/calls/{call}/outcome")
async def phone_call_outcome(request: web.Request) -> web.Response:
    """The phone gateway says how a placed call went (any node takes it).

    The node that placed the call also hears it in the gateway's answer; this report
    keeps the outcome when that node restarted while the phone rang. Body: the call's
    join link ``token`` and its ``outcome``; logged once, whichever comes first.
    """
    s = services(request)
    _gateway_only(request)
    body = await json_body(request)
    token, outcome = body.get("token"), body.get("outcome")
    if not isinstance(token, str) or not 0 < len(token) < 200:
        raise InvalidInput("token: the join link the call was placed for")
    if outcome not in OUTCOMES:
        raise InvalidInput("outcome: answered, no_answer, busy or failed")
    invite_id = token.partition(".")[0]
    if not hmac.compare_digest(s.links.token_for(invite_id), token):
        raise NotAuthenticated("that join link is not valid")
    invite = await s.links.get(invite_id)
    call = request.match_info["call"][:32]
    logged = await PhoneCalls(s.channel.recorder).outcome(
        invite.session_id, invite.id, call, outcome
    )
    log.info(
        "phone call %s: %s reported by the gateway%s", call, outcome, "" if logged else " (known)"
    )
    return web.json_response({"ok": True, "logged": logged})


OUTCOMES: tuple[Outcome, ...] = ("answered", "no_answer", "busy", "failed")


async def _dial(
    s: Services, calls: PhoneCalls, session_id: str, participant: str, order: dict[str, str]
) -> None:
    """Hand the call to the gateway; log its outcome (``failed`` if the gateway cannot say)."""
    outcome: Outcome = "failed"
    headers = {"Authorization": f"Bearer {s.config.phone_gateway_key}"}
    url = s.config.phone_gateway_url.rstrip("/") + "/calls"
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=DIAL_WAIT_S)) as http,
            http.post(url, json=order, headers=headers) as resp,
        ):
            said = (await resp.json()).get("outcome") if resp.status == 200 else None
            if said in OUTCOMES:
                outcome = said
            else:
                log.warning("phone call %s: the gateway answered %d", order["call"], resp.status)
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        log.warning(
            "phone call %s: the gateway could not be reached (%s)",
            order["call"],
            type(exc).__name__,
        )
    log.info("phone call %s: %s", order["call"], outcome)
    try:
        await calls.outcome(session_id, participant, order["call"], outcome)
    except ImrError as exc:
        log.warning("phone call %s: outcome not logged (%s)", order["call"], exc.code)
