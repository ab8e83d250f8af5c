"""HTML pages (jinja2 templates under web/templates) and static browser code.

Pages are thin shells: what they show live comes from the JSON API and the live
channel, driven by the ES modules under web/static/js. A join link's token stays
in its URL only: the join page never echoes it; its script reads it from the
address and hands it to the socket's auth.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.domain.roles import StaffRole
from imr_live.edges import pages_api
from imr_live.edges.keys import SERVICES
from imr_live.edges.live_socket import STAFF_COOKIE
from imr_live.errors import ImrError
from imr_live.resources import SOCKET_IO_CLIENT_DIR, WEB_DIR

log = logging.getLogger("imr_live.pages")
DIST = WEB_DIR / "static" / "dist"
TEMPLATES = web.AppKey("templates", jinja2.Environment)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob: mediastream:; connect-src 'self' ws: wss:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
IMMUTABLE = "public, max-age=31536000, immutable"
HSTS = "max-age=63072000; includeSubDomains"
routes = web.RouteTableDef()


@dataclass(frozen=True)
class Assets:
    """Where pages find their scripts and style sheets: built bundles or the sources."""

    built: dict[str, str] = field(default_factory=dict)
    """Source name ("join.js") to its hashed bundle in web/static/dist; empty: sources."""

    @classmethod
    def load(cls, dist: Path = DIST) -> Assets:
        """The bundles named in dist/manifest.json (written by web/build.mjs)."""
        try:
            built = json.loads((dist / "manifest.json").read_text())
        except (OSError, ValueError):
            log.warning("web bundle is missing: run `make setup`; serving source modules")
            return cls()
        return cls({str(k): str(v) for k, v in built.items()})

    def url(self, name: str) -> str:
        """The URL a page loads ``name`` from (a file of web/static/js or web/static/css)."""
        if name in self.built:
            return f"/static/dist/{self.built[name]}"
        folder = "css" if name.endswith(".css") else "js"
        return f"/static/{folder}/{name}"


ASSETS = web.AppKey("assets", Assets)


def setup(app: web.Application) -> None:
    """Register page routes, static files and every response's security headers."""
    app[TEMPLATES] = jinja2.Environment(
        loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    app[ASSETS] = Assets.load()
    app.on_response_prepare.append(security_headers)
    app.router.add_routes(routes)
    app.router.add_routes(pages_api.routes)
    if SOCKET_IO_CLIENT_DIR.is_dir():
        app.router.add_static("/static/vendor", SOCKET_IO_CLIENT_DIR)
    else:
        log.warning("socket.io-client is missing: run `make setup` (npm ci)")
    app.router.add_static("/static", WEB_DIR / "static")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Every response: no inline script, no framing, no referrer, no sniffing.

    HSTS only in production mode, where the server sits behind TLS; a developer's
    plain-HTTP 127.0.0.1 must not be pinned to HTTPS.
    """
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers["Referrer-Policy"] = "no-referrer"
    headers["X-Content-Type-Options"] = "nosniff"
    services = request.config_dict.get(SERVICES)
    if services is not None and services.config.production:
        headers["Strict-Transport-Security"] = HSTS


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    """A template as an HTML response, never cached (pages show live, personal data).

    Compressed as the browser accepts: the page holds no secret (no token, no
    CSRF value) for a compression side channel to reveal.
    """
    template = request.app[TEMPLATES].get_template(name)
    html = template.render(asset=request.app[ASSETS].url, **context)
    response = web.Response(text=html, status=status, content_type="text/html")
    response.headers["Cache-Control"] = "no-store"
    response.enable_compression()
    return response


@routes.get("/static/dist/{name}")
async def bundle(request: web.Request) -> web.StreamResponse:
    """A built bundle: cached for a year (its name changes with its content).

    aiohttp's FileResponse sends the .br or .gz sibling the browser accepts.
    """
    name = request.match_info["name"]
    if name not in request.app[ASSETS].built.values():
        raise web.HTTPNotFound()
    response = web.FileResponse(DIST / name)
    response.headers["Cache-Control"] = IMMUTABLE
    response.headers["Vary"] = "Accept-Encoding"
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


REVIEWERS = frozenset({StaffRole.SUPERVISOR, StaffRole.ADMIN})
"""Staff whose home is the program report: they review sessions, they do not lead them."""


def home_of(account: Account) -> str:
    """Where a staff member starts: reviewers at the program report, leaders at their sessions."""
    return "/review/program" if account.role in REVIEWERS else "/staff"


def home_label(account: Account) -> str:
    """The name of that start page, as its links say it."""
    return "Program report" if account.role in REVIEWERS else "My sessions"


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    """Staff start at the home that fits their role (sign-in first)."""
    account = await signed_in(request)
    raise web.HTTPFound("/login" if account is None else home_of(account))


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    """Staff sign-in."""
    return render(request, "login.html", title="Sign in")


@routes.get("/staff")
async def dashboard(request: web.Request) -> web.Response:
    """My sessions (live, today, upcoming, past), create a session, invite people."""
    account = await signed_in(request)
    if account is None:
        raise web.HTTPFound("/login")
    if account.role == StaffRole.SUPERVISOR:  # leads no session, so has none of its own
        raise web.HTTPFound(home_of(account))
    scripts = pages_api.script_choices(request.app[SERVICES].scripts)
    return render(request, "staff.html", title="My sessions", account=account, scripts=scripts)


@routes.get("/room/{session_id}")
async def staff_room(request: web.Request) -> web.Response:
    """The live room for staff (leader, co-leader, supervisor)."""
    account = await signed_in(request)
    if account is None:
        raise web.HTTPFound("/login")
    session_id = request.match_info["session_id"][:40]
    crisis = request.app[SERVICES].config.crisis_lines()
    return render(
        request,
        "room.html",
        title="Live session",
        session_id=session_id,
        crisis=crisis,
        home=home_of(account),
        home_label=home_label(account),
    )


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
    return render(
        request,
        "join.html",
        title="Join your session",
        session_title=session.title,
        my_imr=f"/join/{request.match_info['token'][:200]}/my-imr"
        if invite.client_ref and invite.role.value == "client"
        else None,
        crisis=services.config.crisis_lines(),
    )
