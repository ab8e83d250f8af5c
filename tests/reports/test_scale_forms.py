"""Published-form IMR Scales ratings beside old-form ones, in every report that shows them.

The live course records published-form ratings through the room (the
``scale.record`` command); then old-form (14-item) ratings, as an earlier
version logged them, are appended to the same sessions through the SessionLog
(clinician 2 then 3 on every item, totals 28 and 42; the client 3 then 4,
totals 42 and 56). The published ones:

| session | clinician (15 items)           | mean | client (15 items)                  | mean |
|---------|--------------------------------|------|------------------------------------|------|
| 1       | 2 each, item 13 does not apply | 2.00 | 3 each, item 13 n/a, items 14-15: 5 | 3.29 |
| 2       | 3 each, item 13: 4             | 3.07 | 4 each                             | 4.00 |
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server
from tests.reports.course import EVE, Course, run_course

OLD_FORM = [(2, 3), (3, 4)]
"""Per session: (clinician, client) score on every one of the old form's 14 items."""


async def rate(server: Server, course: Course) -> list[dict[str, Any]]:
    """Append both old-form ratings to each session; return each session's Eve id."""
    log = server.services.log
    out = []
    for n, session in enumerate(course.sessions):
        events = await log.read(session["id"])
        eve = next(
            e.data["participant"]
            for e in events
            if e.kind == "participant.joined" and e.data["display_name"] == "Eve"
        )
        for actor, rater, score in (
            (course.dana.id, "clinician", OLD_FORM[n][0]),
            (eve, "client", OLD_FORM[n][1]),
        ):
            data = {"participant": eve, "rater": rater, "items": [score] * 14, "total": score * 14}
            await log.append(session["id"], actor, "scale.recorded", data)
        out.append({"session_id": session["id"], "eve": eve})
    return out


async def test_the_client_report_keeps_the_two_forms_apart(server: Server) -> None:
    course = await run_course(server)
    await rate(server, course)
    _, report = await course.dana.api("GET", f"/api/reports/clients/{EVE}")
    forms = [(e["form"], e["rater"], e["mean"], e["total"]) for e in report["scale"]]
    assert [f for f in forms if f[0] == "old"] == [
        ("old", "clinician", None, 28),
        ("old", "client", None, 42),
        ("old", "clinician", None, 42),
        ("old", "client", None, 56),
    ]
    assert [f for f in forms if f[0] == "imrs"] == [
        ("imrs", "clinician", 2.0, None),
        ("imrs", "client", 3.29, None),
        ("imrs", "clinician", 3.07, None),
        ("imrs", "client", 4.0, None),
    ]
    published = [e for e in report["scale"] if e["form"] == "imrs"]
    assert [(e["answered"], e["rated_by_role"]) for e in published] == [
        (14, "leader"),
        (14, "client"),
        (15, "leader"),
        (15, "client"),
    ]
    assert published[0]["rated_by"] == course.dana.id
    assert report["scale_change"] == {
        "client": {"ratings": 2, "first": 3.29, "latest": 4.0, "change": 0.71},
        "clinician": {"ratings": 2, "first": 2.0, "latest": 3.07, "change": 1.07},
    }
    assert report["scale_change_old_form"]["clinician"] == {
        "ratings": 2,
        "first": 28,
        "latest": 42,
        "change": 14,
    }
    gaps = report["scale_gaps"]
    assert [(g["session_id"], g["client"], g["clinician"], g["gap"]) for g in gaps] == [
        (course.sessions[0]["id"], 3.29, 2.0, 1.29),
        (course.sessions[1]["id"], 4.0, 3.07, 0.93),
    ]
    assert gaps[0]["items"] == [1] * 12 + [None, 3, 3]
    assert gaps[1]["items"] == [1] * 12 + [0, 1, 1]


async def test_csv_fhir_timeline_and_program_read_the_published_form(server: Server) -> None:
    course = await run_course(server)
    await rate(server, course)
    dana = course.dana
    async with dana.http.get(f"/api/reports/clients/{EVE}/scale?format=csv") as resp:
        rows = list(csv.DictReader(io.StringIO(await resp.text())))
    published = [r for r in rows if r["form"] == "imrs"]
    assert [r["item_13"] for r in published] == ["", "", "4", "4"]
    assert [r["mean"] for r in published] == ["2.0", "3.29", "3.07", "4.0"]
    assert {r["item_15"] for r in rows if r["form"] == "old"} == {""}

    async with dana.http.get(f"/api/reports/clients/{EVE}/fhir") as resp:
        bundle = Bundle.model_validate_json(await resp.text())
    resources = [e.resource for e in bundle.entry]
    kinds = Counter(r.get_resource_type() for r in resources)
    assert kinds == {
        "Patient": 1,
        "Encounter": 2,
        "Observation": 8,  # 4 old-form totals, 4 means of the published form
        "Goal": 1,
        "Questionnaire": 2,
        "QuestionnaireResponse": 4,
    }
    responses = [r for r in resources if r.get_resource_type() == "QuestionnaireResponse"]
    first = responses[0]
    assert first.questionnaire.endswith("/clinician|2007-15") and len(first.item) == 15
    assert first.item[12].answer[0].valueCoding.code == "na"  # no medicine prescribed
    assert [i.answer[0].valueCoding.code for i in responses[3].item] == ["4"] * 15
    means = [r.valueQuantity.value for r in resources if r.get_resource_type() == "Observation"
             if r.valueQuantity is not None]  # fmt: skip
    assert [float(m) for m in means] == [2.0, 3.29, 3.07, 4.0]

    sid = course.sessions[1]["id"]
    _, timeline = await dana.api("GET", f"/api/sessions/{sid}/timeline?groups=scale")
    said = [e["summary"] for e in timeline["entries"]]
    assert "IMR Scales for Eve (clinician version): mean 3.07 over 15 items" in said
    assert "IMR scale for Eve (client rating, old form): 56" in said

    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    _, program = await sue.api("GET", "/api/reports/program")
    assert program["scale"]["change"]["clinician"] == {
        "clients": 1,
        "first": 2.0,
        "latest": 3.07,
        "change": 1.07,
    }
    (month,) = program["scale"]["by_month"]
    assert (month["client_ratings"], month["client_mean"]) == (2, round((3.29 + 4.0) / 2, 2))
    async with sue.http.get("/review/program") as resp:
        page = " ".join((await resp.text()).split())
    assert '<th scope="row">clinician</th><td class="num">1</td>' in page
    assert '<td class="num">+1.07</td>' in page and '<td class="num">+0.71</td>' in page
    async with sue.http.get(f"/review/clients/{EVE}") as resp:
        page = " ".join((await resp.text()).split())
    assert '<td class="num">3.29</td><td class="num">2.0</td><td class="num">+1.29</td>' in page
