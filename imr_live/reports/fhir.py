"""A client's course as a FHIR R4 ``collection`` Bundle an EHR can take in.

No names leave: the Patient carries only the opaque ``client_ref`` as its
identifier. Resources refer to each other by ``urn:uuid:`` full URLs derived
from stable keys, so exporting twice gives the same bundle.

IMR Scales ratings of the published form go out as a ``QuestionnaireResponse``
each, against the ``Questionnaire`` of their version (client or clinician,
both in ``imr_scales``), with an ``Observation`` of the mean score derived from
it. Old-form ratings go out as before: an ``Observation`` of the total with
one component per item, named as the old form.
"""

from __future__ import annotations

import base64
import hashlib
import html
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from imr_live.domain.care_plans import PLAN_TITLES, SECTIONS, PlanVersion
from imr_live.domain.imr_scales import INSTRUMENT, ITEMS, URL, VERSION
from imr_live.reports.client_report import ATTENDED, ClientReport, Tracked
from imr_live.reports.progress_notes import ProgressNote
from imr_live.reports.scale import IMRS, ScaleEntry

CLIENT_REF_SYSTEM = "urn:imr-live:client-ref"
SESSION_SYSTEM = "urn:imr-live:session"
GOAL_SYSTEM = "urn:imr-live:goal"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
GOAL_STATUS = {
    "noted": ("active", "in-progress"),
    "in_progress": ("active", "in-progress"),
    "achieved": ("completed", "achieved"),
    "dropped": ("cancelled", "not-achieved"),
}
ACHIEVEMENT = "http://terminology.hl7.org/CodeSystem/goal-achievement"
ANSWER_SYSTEM = "urn:imr-live:imr-scales:answer"
"""Codes of the answers: ``1``..``5``, and ``na`` for "does not apply"."""


def urn(*key: str) -> str:
    """A stable ``urn:uuid:`` for a resource of this export."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'imr-live:' + ':'.join(key))}"


def instant(at_us: int) -> str:
    """µs since the epoch as a FHIR dateTime (UTC, seconds)."""
    return datetime.fromtimestamp(at_us // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_bundle(report: ClientReport, plans: Sequence[PlanVersion] = ()) -> dict[str, Any]:
    """Patient, an Encounter per attended session, an Observation per scale score, Goals,
    and a CarePlan per current relapse-prevention or stress plan."""
    patient = urn("patient", report.client_ref)
    encounters = {
        s.session_id: urn("encounter", report.client_ref, s.session_id)
        for s in report.sessions
        if s.status == ATTENDED
    }
    entries = [_entry(patient, _patient(report.client_ref))]
    for s in report.sessions:
        if s.session_id in encounters:
            resource = _encounter(patient, s.session_id, s.module, s.scheduled_at, s.present_s)
            entries.append(_entry(encounters[s.session_id], resource))
    versions = sorted({e.rater for e in report.scale if e.form == IMRS})
    entries += [_entry(urn("questionnaire", r), questionnaire(r)) for r in versions]
    for i, e in enumerate(report.scale):
        key = urn("observation", report.client_ref, e.session_id, str(i))
        encounter = encounters.get(e.session_id)
        if e.form != IMRS:
            entries.append(_entry(key, _observation(patient, encounter, e)))
            continue
        answers = urn("response", report.client_ref, e.session_id, str(i))
        entries.append(_entry(answers, _response(patient, encounter, e)))
        entries.append(_entry(key, _mean_observation(patient, encounter, e, answers)))
    for g in report.goals:
        entries.append(_entry(urn("goal", report.client_ref, g.id), _goal(patient, g)))
    for p in plans:
        entries.append(_entry(urn("careplan", p.client_ref, p.kind), care_plan(patient, p)))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


CARE_PLAN_SYSTEM = "urn:imr-live:care-plan"


def care_plan_bundle(client_ref: str, plans: Sequence[PlanVersion]) -> dict[str, Any]:
    """A client's current plans as a ``collection`` Bundle: the Patient and a CarePlan each."""
    patient = urn("patient", client_ref)
    entries = [_entry(patient, _patient(client_ref))]
    for p in plans:
        entries.append(_entry(urn("careplan", client_ref, p.kind), care_plan(patient, p)))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def care_plan(patient: str, plan: PlanVersion) -> dict[str, Any]:
    """One plan as a FHIR R4 CarePlan: its version, an activity per entry under its heading."""
    headings = SECTIONS[plan.kind]
    lines = [f"{headings[k]}: {'; '.join(v)}" for k, v in plan.content.items() if v]
    return {
        "resourceType": "CarePlan",
        "meta": {"versionId": str(plan.version)},
        "identifier": [{"system": CARE_PLAN_SYSTEM, "value": f"{plan.client_ref}/{plan.kind}"}],
        "status": "active",
        "intent": "plan",
        "category": [{"coding": [{"system": CARE_PLAN_SYSTEM, "code": plan.kind}]}],
        "title": PLAN_TITLES[plan.kind],
        "description": " ".join(lines)[:2000],
        "subject": {"reference": patient},
        "created": instant(plan.written_at),
        "author": {"identifier": {"system": "urn:imr-live:staff", "value": plan.written_by}},
        "activity": [
            {
                "detail": {
                    "status": "not-started",
                    "code": {"text": headings[key]},
                    "description": entry,
                }
            }
            for key, entries in plan.content.items()
            for entry in entries
        ],
    }


def _entry(full_url: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": full_url, "resource": resource}


def _patient(client_ref: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "identifier": [{"system": CLIENT_REF_SYSTEM, "value": client_ref}],
    }


def _encounter(
    patient: str, session_id: str, module: str, start: int, present_s: int
) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "identifier": [{"system": SESSION_SYSTEM, "value": session_id}],
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
        "type": [{"text": f"Illness Management and Recovery session: {module}"}],
        "subject": {"reference": patient},
        "period": {"start": instant(start)},
        "length": {
            "value": round(present_s / 60, 1),
            "unit": "min",
            "system": "http://unitsofmeasure.org",
            "code": "min",
        },
    }


def _observation(patient: str, encounter: str | None, e: ScaleEntry) -> dict[str, Any]:
    found: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"text": f"IMR scale total, old 14-item form ({e.rater} rating)"},
        "subject": {"reference": patient},
        "effectiveDateTime": instant(e.at),
        "valueInteger": e.total,
        "component": [
            {"code": {"text": f"IMR Scale item {n}"}, "valueInteger": score}
            for n, score in enumerate(e.items, start=1)
        ],
    }
    if encounter:
        found["encounter"] = {"reference": encounter}
    return found


def questionnaire(rater: str) -> dict[str, Any]:
    """The ``Questionnaire`` of the client or clinician version of the IMR Scales."""
    return {
        "resourceType": "Questionnaire",
        "url": f"{URL}/{rater}",
        "version": VERSION,
        "name": f"IMRScales{rater.capitalize()}",
        "title": f"{INSTRUMENT}, {rater} version (our own plain words)",
        "status": "active",
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": str(item.number),
                "prefix": f"{item.number}.",
                "text": item.question(rater),
                "type": "choice",
                "required": False,
                "answerOption": [
                    {"valueCoding": {"system": ANSWER_SYSTEM, "code": str(n), "display": words}}
                    for n, words in enumerate(item.answers, start=1)
                ]
                + (
                    [
                        {
                            "valueCoding": {
                                "system": ANSWER_SYSTEM,
                                "code": "na",
                                "display": item.does_not_apply,
                            }
                        }
                    ]
                    if item.does_not_apply
                    else []
                ),
            }
            for item in ITEMS
        ],
    }


def _response(patient: str, encounter: str | None, e: ScaleEntry) -> dict[str, Any]:
    """One published-form rating as a ``QuestionnaireResponse`` of its version."""
    items = []
    for item, answer in zip(ITEMS, e.items, strict=True):
        row: dict[str, Any] = {"linkId": str(item.number), "text": item.question(e.rater)}
        if answer is not None:
            coding = {
                "system": ANSWER_SYSTEM,
                "code": str(answer),
                "display": item.answers[answer - 1],
            }
            row["answer"] = [{"valueCoding": coding}]
        elif item.does_not_apply:
            coding = {"system": ANSWER_SYSTEM, "code": "na", "display": item.does_not_apply}
            row["answer"] = [{"valueCoding": coding}]
        items.append(row)
    found: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{URL}/{e.rater}|{VERSION}",
        "status": "completed",
        "subject": {"reference": patient},
        "authored": instant(e.at),
        "item": items,
    }
    if e.rater == "client":
        found["author"] = {"reference": patient}
    if encounter:
        found["encounter"] = {"reference": encounter}
    return found


def _mean_observation(
    patient: str, encounter: str | None, e: ScaleEntry, response: str
) -> dict[str, Any]:
    """The mean of the answered items of one rating, derived from its response."""
    found: dict[str, Any] = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey"}]}],
        "code": {"text": f"{INSTRUMENT}: mean of answered items ({e.rater} version)"},
        "subject": {"reference": patient},
        "effectiveDateTime": instant(e.at),
        "derivedFrom": [{"reference": response}],
    }
    if e.mean is None:
        found["dataAbsentReason"] = {"text": "no item answered"}
    else:
        found["valueQuantity"] = {"value": e.mean, "unit": "score"}
    if encounter:
        found["encounter"] = {"reference": encounter}
    return found


def _goal(patient: str, g: Tracked) -> dict[str, Any]:
    lifecycle, achievement = GOAL_STATUS.get(g.status, ("active", "in-progress"))
    return {
        "resourceType": "Goal",
        "identifier": [{"system": GOAL_SYSTEM, "value": g.id}],
        "lifecycleStatus": lifecycle,
        "achievementStatus": {"coding": [{"system": ACHIEVEMENT, "code": achievement}]},
        "description": {"text": g.text},
        "subject": {"reference": patient},
    }


LOINC = "http://loinc.org"
PROGRESS_NOTE = {"system": LOINC, "code": "11506-3", "display": "Progress note"}
STAFF_SYSTEM = "urn:imr-live:staff"
NOTE_STATUS = {"draft": "preliminary", "signed": "final", "amended": "amended"}


def note_bundle(note: ProgressNote, start: int) -> dict[str, Any]:
    """A progress note: Patient, Encounter, ``Composition`` and ``DocumentReference``.

    No names: the patient is their client_ref, the author the signing account's id
    (the draft's author is this system). ``start`` is the session's start, µs.
    """
    patient = urn("patient", note.client)
    encounter = urn("encounter", note.client, note.session_id)
    composition = urn("composition", note.client, note.session_id, str(len(note.versions)))
    present_s = int(note.facts["minutes_present"]) * 60
    module = note.facts.get("module") or note.facts.get("session") or "no module"
    signed = note.versions[-1] if note.versions else None
    author = (
        {"identifier": {"system": STAFF_SYSTEM, "value": signed.by}}
        if signed
        else {"display": "IMR Live: draft from the session log"}
    )
    date = instant(signed.at if signed else start)
    text = note.text
    narrative = {"status": "generated", "div": _xhtml(text)}
    resources = [
        (patient, _patient(note.client)),
        (encounter, _encounter(patient, note.session_id, module, start, present_s)),
        (
            composition,
            {
                "resourceType": "Composition",
                "status": NOTE_STATUS[note.status],
                "type": {"coding": [PROGRESS_NOTE]},
                "subject": {"reference": patient},
                "encounter": {"reference": encounter},
                "date": date,
                "author": [author],
                "title": "IMR progress note",
                "section": [{"title": "Session note", "text": narrative}],
            },
        ),
        (
            urn("document", note.client, note.session_id, str(len(note.versions))),
            {
                "resourceType": "DocumentReference",
                "status": "current",
                "docStatus": NOTE_STATUS[note.status],
                "type": {"coding": [PROGRESS_NOTE]},
                "subject": {"reference": patient},
                "date": date,
                "author": [author],
                "content": [
                    {
                        "attachment": {
                            "contentType": "text/plain; charset=utf-8",
                            "data": base64.b64encode(text.encode()).decode(),
                            "hash": base64.b64encode(hashlib.sha1(text.encode()).digest()).decode(),
                            "title": "IMR progress note",
                        }
                    }
                ],
                "context": {"encounter": [{"reference": encounter}]},
            },
        ),
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [_entry(u, r) for u, r in resources],
    }


def _xhtml(text: str) -> str:
    """Plain text as a FHIR narrative ``div`` (escaped, one paragraph per line)."""
    lines = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines() if line.strip())
    return f'<div xmlns="http://www.w3.org/1999/xhtml">{lines}</div>'
