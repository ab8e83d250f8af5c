"""HTML pages (jinja2 templates under web/templates) and static browser code.

Pages are thin shells: what they show live comes from the JSON API and the live
channel, driven by the ES modules under web/static/js. A join link's token stays
in its URL only: the join page never echoes it; its script reads it from the
address and hands it to the socket's auth.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.edges import pages_api
from imr_live.edges.keys import SERVICES
from imr_live.edges.live_socket import STAFF_COOKIE
from imr_live.errors import ImrError

log = logging.getLogger("imr_live.pages")
ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "web"
VENDOR = ROOT / "node_modules" / "socket.io-client" / "dist"
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """Register page routes and static files on the application."""
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app.router.add_routes(routes)
    app.router.add_routes(pages_api.routes)
    if VENDOR.is_dir():
        app.router.add_static("/static/vendor", VENDOR)
    else:
        log.warning("socket.io-client is missing: run `make setup` (npm ci)")
    app.router.add_static("/static", WEB / "static")


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """A template as an HTML response with the pages' security headers."""
    html = request.app[TEMPLATES].get_template(name).render(**context)
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


async def signed_in(request: web.Request) -> Account | None:
    """The staff account of the cookie, or None."""
    token = request.cookies.get(STAFF_COOKIE)
    if not token:
        return None
    try:
        return await request.app[SERVICES].accounts.from_token(token)
    except ImrError:
        return None


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    """Staff start at their dashboard."""
    raise web.HTTPFound("/staff")


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    """Staff sign-in."""
    return render(request, "login.html", title="Sign in")


@routes.get("/staff")
async def dashboard(request: web.Request) -> web.Response:
    """My sessions (upcoming, live, past), create a session, invite people."""
    account = await signed_in(request)
    if account is None:
        raise web.HTTPFound("/login")
    scripts = pages_api.script_choices(request.app[SERVICES].scripts)
    return render(request, "staff.html", title="My sessions", account=account, scripts=scripts)


@routes.get("/room/{session_id}")
async def staff_room(request: web.Request) -> web.Response:
    """The live room for staff (leader, co-leader, supervisor)."""
    account = await signed_in(request)
    if account is None:
        raise web.HTTPFound("/login")
    session_id = request.match_info["session_id"][:40]
    return render(request, "room.html", title="Live session", session_id=session_id)


@routes.get("/join/{token}")
async def join_page(request: web.Request) -> web.Response:
    """A guest's way in: name, check, consent, waiting room, then the room."""
    services = request.app[SERVICES]
    try:
        invite = await services.links.check(request.match_info["token"][:200])
        session = await services.sessions.get(invite.session_id)
        await services.links.check(request.match_info["token"][:200], session)
    except ImrError as exc:
        return render(request, "link_problem.html", 200, title="Link not working", code=exc.code)
    return render(request, "join.html", title="Join your session", session_title=session.title)
