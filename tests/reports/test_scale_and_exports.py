"""IMR scale in the client report, the FHIR bundle, certificates: from a course held live."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import UTC, datetime

import aiohttp
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from tests.live.harness import Server, Staff
from tests.reports.course import CLINICIAN_RATINGS, EVE, FAY, run_course
from tests.reports.test_review_access import status_of


async def pdf_text(staff: Staff, path: str) -> tuple[int, str]:
    """Status and the text of the PDF at ``path`` ('' when it is not a PDF)."""
    async with staff.http.get(path) as resp:
        body = await resp.read()
        if resp.content_type != "application/pdf":
            return resp.status, ""
    pages = PdfReader(io.BytesIO(body)).pages
    return resp.status, " ".join(p.extract_text() for p in pages)


async def test_client_report_shows_scale_ratings_over_time_with_change(server: Server) -> None:
    course = await run_course(server)
    status, report = await course.dana.api("GET", f"/api/reports/clients/{EVE}")
    assert status == 200
    assert [(e["rater"], e["mean"], e["answered"]) for e in report["scale"]] == [
        ("clinician", 2.0, 14),  # item 13 (medicine) does not apply
        ("client", 3.29, 14),  # (12 * 3 + 5 + 5) / 14
        ("clinician", 3.07, 15),  # (14 * 3 + 4) / 15
        ("client", 4.0, 15),
    ]
    assert report["scale"][0]["items"] == CLINICIAN_RATINGS[0]
    # Subscales: recovery (items 1 2 4 5 8 12), management (3 6 7 9 10 11 13), substance use (14 15).
    assert report["scale"][1]["subscales"] == {
        "recovery": {"answered": 6, "sum": 18, "mean": 3.0},
        "management": {"answered": 6, "sum": 18, "mean": 3.0},  # item 13 does not apply
        "substance_use": {"answered": 2, "sum": 10, "mean": 5.0},
    }
    assert report["scale"][2]["subscales"]["management"] == {"answered": 7, "sum": 22, "mean": 3.14}
    assert [e["session_id"] for e in report["scale"]] == [
        course.sessions[0]["id"],
        course.sessions[0]["id"],
        course.sessions[1]["id"],
        course.sessions[1]["id"],
    ]
    assert [(e["form"], e["rated_by_role"]) for e in report["scale"]] == [
        ("imrs", "leader"),
        ("imrs", "client"),
    ] * 2  # the live event logs the published 15 items and who entered them
    assert report["scale_change"] == {
        "clinician": {"ratings": 2, "first": 2.0, "latest": 3.07, "change": 1.07},
        "client": {"ratings": 2, "first": 3.29, "latest": 4.0, "change": 0.71},
    }
    assert report["scale_change_old_form"]["client"]["ratings"] == 0  # no old form here
    _, fay = await course.dana.api("GET", f"/api/reports/clients/{FAY}")
    assert fay["scale"] == []
    assert fay["scale_change"]["client"] == {
        "ratings": 0,
        "first": None,
        "latest": None,
        "change": None,
    }


async def test_scale_csv_round_trips_to_the_json(server: Server) -> None:
    course = await run_course(server)
    path = f"/api/reports/clients/{EVE}/scale"
    status, body = await course.dana.api("GET", path)
    assert status == 200 and body["change"]["client"]["change"] == 0.71
    async with course.dana.http.get(path + "?format=csv") as resp:
        assert resp.status == 200 and resp.content_type == "text/csv"
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    back = [
        {
            "session_id": r["session_id"],
            "at": int(r["at"]),
            "rater": r["rater"],
            "form": r["form"],
            "items": [int(r[f"item_{n}"]) if r[f"item_{n}"] else None for n in range(1, 16)],
            "answered": int(r["answered"]),
            "mean": float(r["mean"]),
            "total": None,
            "rated_by": r["rated_by"],
            "rated_by_role": r["rated_by_role"],
        }
        for r in rows
    ]
    assert back == [{k: v for k, v in r.items() if k != "subscales"} for r in body["ratings"]]
    assert len(back) == 4
    for name in ("recovery", "management", "substance_use"):  # subscale means: one column each
        means = [r["subscales"][name]["mean"] for r in body["ratings"]]
        assert [float(r[f"{name}_mean"]) for r in rows] == means
    assert [r["item_13"] for r in rows] == ["", "", "4", "4"]  # "does not apply" stays empty
    rows_audited = await AuditLog(server.services.db).entries(f"client:{EVE}")
    assert [r.action for r in rows_audited] == ["view.scale", "export.scale"]


async def test_fhir_bundle_validates_and_names_nobody(server: Server) -> None:
    course = await run_course(server)
    async with course.dana.http.get(f"/api/reports/clients/{EVE}/fhir") as resp:
        assert resp.status == 200 and resp.content_type == "application/fhir+json"
        text = await resp.text()
    bundle = Bundle.model_validate_json(text)
    # As words: the instrument's answers hold "Every time."
    assert not re.search(r"\b(Eve|dana)\b", text)
    resources = [e.resource for e in bundle.entry]
    kinds = Counter(r.get_resource_type() for r in resources)
    assert kinds == {
        "Patient": 1,
        "Encounter": 2,
        "Observation": 4,
        "Goal": 1,
        "Questionnaire": 2,
        "QuestionnaireResponse": 4,
    }
    patient = next(e for e in bundle.entry if e.resource.get_resource_type() == "Patient")
    assert patient.resource.identifier[0].value == EVE and not patient.resource.name
    for r in resources:
        if r.get_resource_type() not in ("Patient", "Questionnaire"):
            assert r.subject.reference == patient.fullUrl
    encounters = {e.fullUrl for e in bundle.entry if e.resource.get_resource_type() == "Encounter"}
    observations = [r for r in resources if r.get_resource_type() == "Observation"]
    assert [float(o.valueQuantity.value) for o in observations] == [2.0, 3.29, 3.07, 4.0]
    assert all(o.encounter.reference in encounters for o in observations)
    goal = next(r for r in resources if r.get_resource_type() == "Goal")
    assert (goal.lifecycleStatus, goal.description.text) == ("completed", "Join a choir")
    rows = await AuditLog(server.services.db).entries(f"client:{EVE}")
    assert [(r.account_id, r.action) for r in rows] == [(course.dana.id, "export.fhir")]


async def test_certificates_are_pdfs_with_name_achievement_date_and_leader(
    server: Server,
) -> None:
    course = await run_course(server)
    base = f"/api/reports/clients/{EVE}/certificate"
    today = datetime.now(UTC).strftime("%-d %B %Y")
    program = f"Illness Management and Recovery: {course.plan.title}"
    wanted = {
        f"?kind=module&module={course.module}": ["Certificate of Completion", course.title],
        f"?kind=goal&goal={course.goal}": ["Certificate of Achievement", "Join a choir"],
        "?kind=graduation": ["Graduation Certificate", course.title, course.plan.title],
    }
    for query, words in wanted.items():
        status, text = await pdf_text(course.dana, base + query)
        assert status == 200, query
        for word in [*words, "Eve", "dana", today, program]:
            assert word in text, (query, word, text)
        assert course.module.split("/")[-1] not in text  # the title, never the slug
    rows = await AuditLog(server.services.db).entries(f"client:{EVE}")
    assert [r.action for r in rows] == [
        "export.certificate.module",
        "export.certificate.goal",
        "export.certificate.graduation",
    ]


async def test_certificates_not_earned_are_refused_without_audit(server: Server) -> None:
    course = await run_course(server)
    dana, fay = course.dana, f"/api/reports/clients/{FAY}/certificate"
    status, body = await dana.api("GET", f"{fay}?kind=module&module={course.module}")
    assert (status, body["error"]["code"]) == (409, "conflict")
    status, body = await dana.api("GET", f"{fay}?kind=graduation")
    assert status == 409
    status, body = await dana.api("GET", f"{fay}?kind=goal&goal={course.goal}")
    assert status == 404
    status, body = await dana.api("GET", f"{fay}?kind=diploma")
    assert (status, body["error"]["code"]) == (400, "invalid")
    eve = f"/api/reports/clients/{EVE}/certificate?kind=module&module=practical-facts"
    assert (await dana.api("GET", eve))[0] == 404  # not a module of Eve's plan
    assert await AuditLog(server.services.db).entries() == []


async def test_exports_follow_the_client_report_access_rules(server: Server) -> None:
    await run_course(server)
    olly = await server.staff("olly")
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    anonymous = aiohttp.ClientSession(base_url=server.url)
    server.opened.append(anonymous)
    for path in (
        f"/api/reports/clients/{EVE}/scale?format=csv",
        f"/api/reports/clients/{EVE}/fhir",
        f"/api/reports/clients/{EVE}/certificate?kind=graduation",
    ):
        assert (await status_of(olly.http, path), await status_of(anonymous, path)) == (404, 401)
        assert await status_of(sue.http, path) == 200
