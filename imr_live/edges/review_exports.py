"""Exports of one client (FHIR R4 bundle, certificates as PDF); recordings: playback, deletion.

Same access rules as the reports in ``review_api``; every export and every
deletion writes an audit row before anything leaves or goes.
"""

from __future__ import annotations

from aiohttp import web

from imr_live.domain.accounts import Account
from imr_live.domain.care_plans import CarePlans
from imr_live.edges.http_api import current_account, services, session_for_staff
from imr_live.edges.review_common import audited, csv_response, records, report_of
from imr_live.errors import NotFound
from imr_live.reports.audit import AuditLog
from imr_live.reports.certificate_pdf import certificate_pdf
from imr_live.reports.certificate_register import CertificateRegister
from imr_live.reports.certificates import earned
from imr_live.reports.csv_table import to_csv
from imr_live.reports.fhir import client_bundle
from imr_live.reports.recordings import Recordings
from imr_live.reports.records import SessionRecord
from imr_live.reports.scale import SCALE_COLUMNS, old_form_change, scale_change, scale_gaps

routes = web.RouteTableDef()


async def client_records(request: web.Request) -> tuple[Account, str, list[SessionRecord]]:
    """The account, the client_ref and the client's records the account may review."""
    account = await current_account(request)
    ref = request.match_info["client_ref"]
    found = await records(request).of_client(ref, account)
    if not found:
        raise NotFound("no sessions of this client that you may review")
    return account, ref, found


@routes.get("/api/reports/clients/{client_ref}/scale")
async def scale(request: web.Request) -> web.Response:
    """The client's IMR scale ratings (``?format=csv``: one row per rating, one column per item)."""
    account, ref, found = await client_records(request)
    as_csv = await audited(request, account, "scale", f"client:{ref}")
    entries = (await report_of(request, ref, found)).scale
    if as_csv:
        return csv_response(to_csv([e.flat() for e in entries], SCALE_COLUMNS), f"scale-{ref}")
    return web.json_response(
        {
            "client_ref": ref,
            "ratings": [e.as_dict() for e in entries],
            "change": scale_change(entries),
            "change_old_form": old_form_change(entries),
            "gaps": scale_gaps(entries),
        }
    )


@routes.get("/api/reports/clients/{client_ref}/fhir")
async def fhir_bundle(request: web.Request) -> web.Response:
    """The client's course as a FHIR R4 Bundle (no names; identifier = client_ref)."""
    account, ref, found = await client_records(request)
    await AuditLog(services(request).db).record(account.id, "export.fhir", f"client:{ref}")
    s = services(request)
    plans = list((await CarePlans(s.db, s.sessions).current(ref)).values())
    return web.json_response(
        client_bundle(await report_of(request, ref, found), plans),
        content_type="application/fhir+json",
        headers={"Content-Disposition": f'attachment; filename="client-{ref}.fhir.json"'},
    )


@routes.get("/api/reports/clients/{client_ref}/certificate")
async def certificate(request: web.Request) -> web.Response:
    """A printable certificate: ``?kind=module&module=..``, ``?kind=goal&goal=..``, ``?kind=graduation``."""
    account, ref, found = await client_records(request)
    kind = request.query.get("kind", "")
    subject = request.query.get(kind, "")[:200] if kind in ("module", "goal") else ""
    usernames = await records(request).usernames()
    cert = earned(kind, await report_of(request, ref, found), found, usernames, subject)
    target = f"client:{ref}"
    await AuditLog(services(request).db).record(account.id, f"export.certificate.{kind}", target)
    code = await certificate_register(request).issue(cert)
    base = services(request).config.public_url or f"{request.scheme}://{request.host}"
    return web.Response(
        body=certificate_pdf(cert, code, f"{base}/verify/{code}"),
        content_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="certificate-{kind}-{ref}.pdf"'},
    )


@routes.delete("/api/sessions/{session_id}/recordings")
async def delete_recordings(request: web.Request) -> web.Response:
    """An admin deletes every recording of the session (audited and logged in the session)."""
    account, session = await session_for_staff(request)
    deleted = await recordings(request).delete(session.id, account)
    return web.json_response(
        {"files": deleted.files, "bytes": deleted.bytes, "seq": deleted.event.seq}
    )


def certificate_register(request: web.Request) -> CertificateRegister:
    """Codes of issued certificates, signed with the server key."""
    s = services(request)
    return CertificateRegister(s.db, s.log, s.config.secret_key.encode())


def recordings(request: web.Request) -> Recordings:
    """The recordings store of this process."""
    s = services(request)
    return Recordings(s.config.recordings_dir, s.log, AuditLog(s.db))


@routes.get("/api/sessions/{session_id}/recordings")
async def list_recordings(request: web.Request) -> web.Response:
    """The session's recordings of participants who consent (the listing is audited)."""
    account, session = await session_for_staff(request)
    files = await recordings(request).playable(session.id)
    await AuditLog(services(request).db).record(
        account.id, "view.recordings", f"session:{session.id}"
    )
    return web.json_response({"recordings": [f.as_dict() for f in files]})


@routes.get("/api/sessions/{session_id}/recordings/{name}")
async def play_recording(request: web.Request) -> web.StreamResponse:
    """One recording file, for playback in the browser (each request is audited)."""
    account, session = await session_for_staff(request)
    path = await recordings(request).play(session.id, request.match_info["name"], account)
    return web.FileResponse(
        path, headers={"Content-Type": "video/webm", "Cache-Control": "no-store"}
    )
