""" "My IMR": a client's own record, opened with their own join link (no account).

The link is checked like a join (forged, turned off or expired links are
refused) and must be a client's. The record is only that client's: every
session they were invited to as a client under the same ``client_ref`` (just
this link's session when the link has none), folded by the client report; no
other person's data is read into it. Each view writes an audit row in the
link's name. The page is ``/join/<token>/my-imr`` (the join link itself, so the
token is in no other URL); the JSON is ``POST /api/my-imr`` with the token in
the body. The client's certificates (modules finished, graduation) open under
the same link, ``/join/<token>/my-imr/certificates/<code>``: only a code of a
certificate this client earned opens one, and each opening is audited. The page
links to them relatively, so it still holds no token. Handouts shown in sessions the
client attended open the same way, ``/join/<token>/my-imr/handouts/<id>`` (pictures
of its pages below it).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from imr_live.domain.care_plans import CarePlans
from imr_live.domain.handouts import Handout, Handouts
from imr_live.domain.join_links import Invite
from imr_live.domain.roles import Role
from imr_live.domain.sessions import SessionStatus
from imr_live.edges.handouts_api import page_response
from imr_live.edges.http_api import json_body, services
from imr_live.edges.pages import render
from imr_live.edges.review_common import curriculum, records
from imr_live.edges.review_exports import certificate_register
from imr_live.errors import Forbidden, ImrError, InvalidInput, NotFound
from imr_live.reports.audit import AuditLog
from imr_live.reports.certificate_pdf import HEADLINES, certificate_pdf
from imr_live.reports.certificate_register import code_of, normal_code
from imr_live.reports.certificates import Certificate, earned
from imr_live.reports.client_report import ATTENDED, ClientReport, client_report
from imr_live.reports.records import SessionRecord
from imr_live.reports.session_plans import latest_plan

routes = web.RouteTableDef()
PRACTICE_WORDS = {"open": "To do", "done": "Done", "not_done": "Not done yet"}
GOAL_WORDS = {
    "noted": "Just started",
    "in_progress": "Working on it",
    "achieved": "Reached",
    "dropped": "Put aside",
}


async def client_link(request: web.Request, token: object) -> Invite:
    """The client's invite the token opens; NotAuthenticated/Forbidden otherwise."""
    if not isinstance(token, str) or not 0 < len(token) <= 200:
        raise InvalidInput("token: the join link's token")
    invite = await services(request).links.check(token)
    if invite.role is not Role.CLIENT:
        raise Forbidden("My IMR is for clients; this link is not a client's")
    return invite


async def own_report(request: web.Request, ref: str) -> tuple[ClientReport, list[SessionRecord]]:
    """The report of the client ``ref`` over every session they were invited to as a client."""
    s = services(request)
    rows = await s.db.fetch(
        "SELECT DISTINCT session_id FROM invites WHERE client_ref = ? AND role = ?",
        ref,
        Role.CLIENT.value,
    )
    found = sorted(
        [await s.sessions.get(r["session_id"]) for r in rows], key=lambda x: (x.scheduled_at, x.id)
    )
    known = curriculum(request)
    held = await records(request).many(found)
    report = client_report(
        ref, held, known, await latest_plan(s.db, known, found), s.config.attendance_share
    )
    return report, held


async def own_certificates(
    request: web.Request, report: ClientReport, held: list[SessionRecord]
) -> list[tuple[Certificate, str]]:
    """The client's certificates (each module finished, then graduation), with their codes."""
    usernames = await records(request).usernames()
    wanted = [("module", m.module) for m in report.progress.modules if m.completed]
    if report.progress.graduated:
        wanted.append(("graduation", ""))
    key = services(request).config.secret_key.encode()
    out = []
    for kind, subject in wanted:
        try:
            cert = earned(kind, report, held, usernames, subject)
        except ImrError:  # not earned after all: listed nowhere, opened nowhere
            continue
        out.append((cert, code_of(cert.shown(), cert.evidence, key)))
    return out


async def my_record(request: web.Request, invite: Invite) -> dict[str, Any]:
    """The client's own goals, practice, plans, modules, certificates and next sessions."""
    s = services(request)
    ref = invite.client_ref
    await AuditLog(s.db).record(invite.id, "view.my_imr", f"client:{ref or invite.id}")
    if not ref:  # not linked to a record: nothing beyond this one link
        empty: list[Any] = []
        return {"linked": False, "goals": empty, "practice": empty, "plans": empty} | {
            "modules": empty,
            "certificates": empty,
            "next_sessions": empty,
            "sessions_attended": 0,
            "handouts": empty,
        }
    report, held = await own_report(request, ref)
    plans = await CarePlans(s.db, s.sessions).current(ref)
    upcoming = [r.session for r in held if r.session.status is not SessionStatus.ENDED]
    return {
        "linked": True,
        "goals": [
            {"goal": g.text, "status": g.status, "words": GOAL_WORDS.get(g.status, g.status)}
            for g in report.goals
        ],
        "practice": [
            {"text": a.text, "status": a.status, "words": PRACTICE_WORDS.get(a.status, a.status)}
            for a in report.assignments
        ],
        "plans": [p.for_client() for p in plans.values()],
        "plan_title": report.progress.plan_title,
        "modules": [
            {
                "title": m.title,
                "sessions": len(m.sessions),
                "attended": len(m.attended),
                "completed": m.completed,
            }
            for m in report.progress.modules
        ],
        "certificates": [
            {
                "kind": c.kind,
                "headline": HEADLINES[c.kind][0],
                "achievement": c.achievement,
                "at": c.at,
                "code": code,
            }
            for c, code in await own_certificates(request, report, held)
        ],
        "graduated": report.progress.graduated,
        "sessions_attended": report.count(ATTENDED),
        "next_sessions": [{"title": x.title, "scheduled_at": x.scheduled_at} for x in upcoming],
        "handouts": [
            {"id": h.id, "title": h.title, "pages": h.pages}
            for h in await own_handouts(request, report)
        ],
    }


async def own_handouts(request: web.Request, report: ClientReport) -> list[Handout]:
    """Handouts a lead showed in the sessions this client attended."""
    attended = [s.session_id for s in report.sessions if s.status == ATTENDED]
    return await Handouts(services(request).db).shown_in(attended)


async def own_handout(request: web.Request) -> tuple[Invite, Handout]:
    """The handout in the URL, if it is one of the link's client's own (NotFound otherwise)."""
    invite = await client_link(request, request.match_info["token"][:200])
    if not invite.client_ref:
        raise NotFound("this link has no record behind it")
    report, _held = await own_report(request, invite.client_ref)
    wanted = request.match_info["handout_id"][:40]
    mine = [h for h in await own_handouts(request, report) if h.id == wanted]
    if not mine:
        raise NotFound("no handout of yours has this name")
    return invite, mine[0]


@routes.get("/join/{token}/my-imr/handouts/{handout_id}")
async def my_handout(request: web.Request) -> web.Response:
    """One of the client's handouts: its pages as pictures, one under the other."""
    try:
        invite, handout = await own_handout(request)
    except ImrError as exc:
        return render(
            request, "link_problem.html", exc.status, title="Link not working", code=exc.code
        )
    await AuditLog(services(request).db).record(
        invite.id, "view.handout", f"client:{invite.client_ref}"
    )
    return render(request, "my_handout.html", title=handout.title, handout=handout)


@routes.get(r"/join/{token}/my-imr/handouts/{handout_id}/pages/{page:\d{1,4}}.png")
async def my_handout_page(request: web.Request) -> web.Response:
    """One page picture of one of the client's handouts."""
    _invite, handout = await own_handout(request)
    store = Handouts(services(request).db)
    return page_response(await store.page(handout, int(request.match_info["page"])))


@routes.post("/api/my-imr")
async def my_imr_json(request: web.Request) -> web.Response:
    """The client's own record: ``{token}`` (their join link's token)."""
    body = await json_body(request)
    invite = await client_link(request, body.get("token"))
    return web.json_response(await my_record(request, invite))


def day(at_us: int) -> str:
    """A date a client reads, e.g. ``Tuesday 3 December, 14:00`` (UTC)."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%A %-d %B, %H:%M")


@routes.get("/join/{token}/my-imr")
async def my_imr_page(request: web.Request) -> web.Response:
    """The client's own record as a plain, phone-first page."""
    try:
        invite = await client_link(request, request.match_info["token"][:200])
    except ImrError as exc:
        return render(request, "link_problem.html", 200, title="Link not working", code=exc.code)
    mine = await my_record(request, invite)
    for x in mine["next_sessions"]:
        x["when"] = day(x["scheduled_at"])
    return render(
        request,
        "my_imr.html",
        title="My IMR",
        mine=mine,
        crisis=services(request).config.crisis_lines(),
    )


@routes.get("/join/{token}/my-imr/certificates/{code}")
async def my_certificate(request: web.Request) -> web.Response:
    """One of the client's own certificates as a PDF, named by its code (audited).

    Only a certificate this client earned opens: another client's code is 404.
    """
    try:
        invite = await client_link(request, request.match_info["token"][:200])
        if not invite.client_ref:
            raise NotFound("this link has no record behind it")
        report, held = await own_report(request, invite.client_ref)
        wanted = normal_code(request.match_info["code"][:40])
        mine = [c for c, code in await own_certificates(request, report, held) if code == wanted]
        if not mine:
            raise NotFound("no certificate of yours has this code")
    except ImrError as exc:
        return render(
            request, "link_problem.html", exc.status, title="Link not working", code=exc.code
        )
    cert = mine[0]
    db = services(request).db
    await AuditLog(db).record(
        invite.id, f"export.certificate.{cert.kind}", f"client:{cert.client_ref}"
    )
    code = await certificate_register(request).issue(cert)
    base = services(request).config.public_url or f"{request.scheme}://{request.host}"
    return web.Response(
        body=certificate_pdf(cert, code, f"{base}/verify/{code}"),
        content_type="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="certificate-{cert.kind}.pdf"',
            "Cache-Control": "no-store",
        },
    )
