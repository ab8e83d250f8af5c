"""A client's course as a FHIR R4 ``collection`` Bundle an EHR can take in.

No names leave: the Patient carries only the opaque ``client_ref`` as its
identifier. Resources refer to each other by ``urn:uuid:`` full URLs derived
from stable keys, so exporting twice gives the same bundle.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from imr_live.reports.client_report import ATTENDED, ClientReport, Tracked
from imr_live.reports.scale import ScaleEntry

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


def urn(*key: str) -> str:
    """A stable ``urn:uuid:`` for a resource of this export."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'imr-live:' + ':'.join(key))}"


def instant(at_us: int) -> str:
    """µs since the epoch as a FHIR dateTime (UTC, seconds)."""
    return datetime.fromtimestamp(at_us // 1_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def client_bundle(report: ClientReport) -> dict[str, Any]:
    """Patient, an Encounter per attended session, an Observation per scale score, Goals."""
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
    for i, e in enumerate(report.scale):
        key = urn("observation", report.client_ref, e.session_id, str(i))
        entries.append(_entry(key, _observation(patient, encounters.get(e.session_id), e)))
    for g in report.goals:
        entries.append(_entry(urn("goal", report.client_ref, g.id), _goal(patient, g)))
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


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
        "code": {"text": f"IMR Scale total ({e.rater} rating)"},
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
