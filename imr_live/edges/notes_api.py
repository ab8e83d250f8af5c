"""Progress notes of a session: drafts after it ended, signing and amending, FHIR export.

Reading follows the session's review rules (staff with a role in it); signing
and amending are for the signed-in clinicians who led it. Both write to the
session's log (``note.signed``, ``note.amended``); every view and export is
audited.
"""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.domain.roles import LEADS
from imr_live.domain.sessions import Session
from imr_live.edges.http_api import json_body, services, session_for_staff
from imr_live.edges.review_common import curriculum, records
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound
from imr_live.reports.audit import AuditLog
from imr_live.reports.fhir import note_bundle
from imr_live.reports.progress_notes import AMENDED, SIGNED, ProgressNote, progress_notes

routes = web.RouteTableDef()
MAX_TEXT = 20_000
MAX_REASON = 300


async def _notes(request: web.Request, session: Session) -> list[ProgressNote]:
    """The session's notes (Conflict while it has not ended)."""
    record = await records(request).record(session)
    if not record.ended:
        raise Conflict("progress notes are drafted when the session has ended")
    return progress_notes(record, curriculum(request))


async def _note(request: web.Request, session: Session) -> ProgressNote:
    client = request.match_info["client"][:100]
    for note in await _notes(request, session):
        if note.client == client:
            return note
    raise NotFound("no progress note for this client in this session")


async def _lead(request: web.Request) -> tuple[Account, Session]:
    """A clinician who led the session (signed in); admins and supervisors only read."""
    account, session = await session_for_staff(request)
    if session.staff_role(account) not in LEADS:
        raise Forbidden("only the clinicians who led the session sign its notes")
    return account, session


def _text(body: dict[str, object], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{name}: required text")
    if len(value) > limit:
        raise InvalidInput(f"{name}: at most {limit} characters")
    return value.strip()


@routes.get("/api/sessions/{session_id}/notes")
async def session_notes(request: web.Request) -> web.Response:
    """Every client's note of the session: the draft, its status and signed versions."""
    account, session = await session_for_staff(request)
    notes = await _notes(request, session)
    await AuditLog(services(request).db).record(account.id, "view.notes", f"session:{session.id}")
    return web.json_response({"session_id": session.id, "notes": [n.as_dict() for n in notes]})


@routes.post("/api/sessions/{session_id}/notes/{client}/sign")
async def sign_note(request: web.Request) -> web.Response:
    """Sign a draft, as edited: ``{text, draft_hash}`` (the hash of the draft it started from)."""
    account, session = await _lead(request)
    body = await json_body(request)
    text = _text(body, "text", MAX_TEXT)
    note = await _note(request, session)
    if note.versions:
        raise Conflict("this note is signed: it cannot change; add an amendment")
    if body.get("draft_hash") != note.draft_hash:
        raise Conflict("the draft changed since you opened it: reload and check it")
    data = {"client": note.client, "text": text, "draft": note.draft_hash}
    event = await services(request).log.append(session.id, account.id, SIGNED, data)
    return web.json_response({"seq": event.seq, "status": "signed"})


@routes.post("/api/sessions/{session_id}/notes/{client}/amend")
async def amend_note(request: web.Request) -> web.Response:
    """Amend a signed note: ``{text, reason}``; the signed text stays in the log."""
    account, session = await _lead(request)
    body = await json_body(request)
    text, reason = _text(body, "text", MAX_TEXT), _text(body, "reason", MAX_REASON)
    note = await _note(request, session)
    if not note.versions:
        raise Conflict("this note is a draft: sign it first")
    data = {"client": note.client, "text": text, "reason": reason}
    event = await services(request).log.append(session.id, account.id, AMENDED, data)
    return web.json_response({"seq": event.seq, "status": "amended"})


@routes.get("/api/sessions/{session_id}/notes/{client}/fhir")
async def note_fhir(request: web.Request) -> web.Response:
    """One note as a FHIR R4 Bundle: Patient, Encounter, Composition, DocumentReference."""
    account, session = await session_for_staff(request)
    note = await _note(request, session)
    target = f"session:{session.id}:{note.client}"
    await AuditLog(services(request).db).record(account.id, "export.note.fhir", target)
    record = await records(request).record(session)
    start = record.presence.started_at or session.scheduled_at
    return web.json_response(note_bundle(note, start), content_type="application/fhir+json")
