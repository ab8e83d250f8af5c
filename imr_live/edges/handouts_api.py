"""Handouts over HTTP: a lead uploads one, the session's people fetch its page pictures.

``POST /api/sessions/{id}/handouts`` (multipart: ``file``, optional ``title``) is for
the session's leads (signed in, or a co-leader's join link in ``X-Join-Token``). The
file is read up to ``handout_max_bytes`` (413 above), turned into PNG pages in a
thread (``domain.handout_pages``) and only those are stored. ``GET /api/handouts/
{id}/pages/{n}.png`` serves a page to staff with a role in its session, or, once a
lead has shown the handout, to anyone holding a join link of that session (token in
``X-Join-Token``, never in the URL). Pages go out as inert pictures: ``image/png``,
``nosniff``, ``inline`` and a policy that runs nothing.
"""

from __future__ import annotations

import asyncio
import logging
import weakref

from aiohttp import web

from imr_live.domain.handout_pages import render
from imr_live.domain.handouts import Handout, Handouts, clean_title
from imr_live.edges.http_api import JOIN_TOKEN_HEADER, current_account, lead_in_session, services
from imr_live.edges.pages_api import session_for_leads
from imr_live.edges.uploads import UploadKind, read_upload
from imr_live.errors import Forbidden, ImrError, NotFound

log = logging.getLogger("imr_live.handouts")
routes = web.RouteTableDef()
"""Room for the multipart boundaries and the title around the file itself."""
HANDOUT = UploadKind("handout", "file", "a PDF, PNG or JPEG file")
PAGE_HEADERS = {
    "Content-Disposition": "inline",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private, no-cache",
}
"""A page picture is shown, never run: no script, no plug-in, no sniffing it as HTML."""


_RENDERING: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def rendering() -> asyncio.Semaphore:
    """One handout is drawn at a time per process (per event loop): drawing is CPU work and
    the live channel shares the process, so a second upload waits its turn."""
    return _RENDERING.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(1))


def handouts(request: web.Request) -> Handouts:
    """The handout store."""
    return Handouts(services(request).db)


@routes.post("/api/sessions/{session_id}/handouts")
async def upload_handout(request: web.Request) -> web.Response:
    """Upload a PDF, PNG or JPEG handout; answers ``{handout: {id, title, pages, ...}}``."""
    lead, session = await lead_in_session(request)
    limit = services(request).config.handout_max_bytes
    try:
        title, name, data = await read_upload(request, limit, HANDOUT)
        async with rendering():
            pages = await asyncio.to_thread(
                render, data, services(request).config.handout_max_pages
            )
    except ImrError as exc:
        log.info("handout for session %s refused: %s", session.id, exc.code)
        raise
    handout = await handouts(request).add(session.id, clean_title(title, name), pages, lead)
    log.info("handout %s stored for session %s: %d pages", handout.id, session.id, len(pages))
    return web.json_response({"handout": handout.as_dict()}, status=201)


@routes.get("/api/sessions/{session_id}/handouts")
async def list_handouts(request: web.Request) -> web.Response:
    """The session's handouts, for its leads: ``{handouts, max_bytes, max_pages}``."""
    session = await session_for_leads(request)
    config = services(request).config
    found = await handouts(request).for_session(session.id)
    return web.json_response(
        {
            "handouts": [h.as_dict() for h in found],
            "max_bytes": config.handout_max_bytes,
            "max_pages": config.handout_max_pages,
        }
    )


@routes.get(r"/api/handouts/{handout_id}/pages/{page:\d{1,4}}.png")
async def handout_page(request: web.Request) -> web.Response:
    """One page of a handout as a PNG, for the people of its session."""
    store = handouts(request)
    handout = await store.get(request.match_info["handout_id"][:40])
    await _may_see(request, handout)
    return page_response(await store.page(handout, int(request.match_info["page"])))


async def _may_see(request: web.Request, handout: Handout) -> None:
    """Staff with a role in the handout's session; a join link of that session once shown."""
    s = services(request)
    session = await s.sessions.get(handout.session_id)
    token = request.headers.get(JOIN_TOKEN_HEADER)
    if token is not None:
        invite = await s.links.check(token[:200])
        if invite.session_id != session.id:
            raise NotFound("no such handout")
        if handout.first_shown_at is None:
            raise Forbidden("this handout has not been shown yet")
        return
    account = await current_account(request)
    if session.staff_role(account) is None:
        raise NotFound("no such handout")


def page_response(png: bytes) -> web.Response:
    """A page picture with the headers that keep it a picture."""
    return web.Response(body=png, content_type="image/png", headers=PAGE_HEADERS)
