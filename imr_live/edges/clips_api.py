"""Recovery videos over HTTP: a lead uploads one, leads list the session's videos.

``POST /api/sessions/{id}/clips`` (multipart: ``file``, optional ``title``) is for the
session's leads (signed in, or a co-leader's join link in ``X-Join-Token``). The file is
read up to ``clip_max_bytes`` (413 above) and checked with PyAV (WebM or MP4; VP8 or
H.264 picture; Opus sound; otherwise 400 with a sentence and nothing is stored). Stored
in the data folder for the media server to read; there is no route that serves a clip
file back: people see and hear it only through the media server.
``GET /api/sessions/{id}/clips`` lists shipped and uploaded videos for the leads.
"""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from imr_live.edges.clip_library import ClipLibrary
from imr_live.edges.http_api import lead_in_session, services
from imr_live.edges.pages_api import session_for_leads
from imr_live.edges.uploads import UploadKind, read_upload
from imr_live.errors import ImrError, Unavailable

log = logging.getLogger("imr_live.clips")
VIDEO = UploadKind("video", "video", "a WebM or MP4 video")
routes = web.RouteTableDef()


def library(request: web.Request) -> ClipLibrary:
    """The clip store of this node's live channel."""
    store = services(request).channel.clips.store
    if not isinstance(store, ClipLibrary):
        raise Unavailable("this server does not keep videos")
    return store


@routes.post("/api/sessions/{session_id}/clips")
async def upload_clip(request: web.Request) -> web.Response:
    """Upload a WebM or MP4 video; answers ``{clip: {id, title, duration, shipped}}``."""
    _lead, session = await lead_in_session(request)
    limit = services(request).config.clip_max_bytes
    try:
        title, name, data = await read_upload(request, limit, VIDEO)
        clip = await asyncio.to_thread(library(request).add, session.id, title, name, data)
    except ImrError as exc:
        log.info("video for session %s refused: %s", session.id, exc.code)
        raise
    log.info("video %s stored for session %s (%d bytes)", clip.id, session.id, len(data))
    return web.json_response({"clip": clip.as_dict()}, status=201)


@routes.get("/api/sessions/{session_id}/clips")
async def list_clips(request: web.Request) -> web.Response:
    """The videos this session may play, for its leads: ``{clips, max_bytes}``."""
    session = await session_for_leads(request)
    found = await asyncio.to_thread(library(request).for_session, session.id)
    return web.json_response(
        {
            "clips": [c.as_dict() for c in found],
            "max_bytes": services(request).config.clip_max_bytes,
        }
    )
