"""Draft progress notes from a session held live; the clinician signs and amends them.

Ann (C-001) and Ben (C-002) come to the first session of the first module; a
stranger on a spare link is turned away. The leader shows two slides, casts Ann
in a role play, gives Ann home practice, notes her goal with a short-term goal
and two steps, and rates her on the IMR Scales (3 on each item: mean 3.00).
Ben only listens. After the end each gets a draft; the leader signs Ann's as
edited and amends it (through the API, then through the notes page in
Chromium); a supervisor reads but cannot sign.
"""

from __future__ import annotations

import re
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from playwright.async_api import Browser, expect

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server, guest
from tests.live.test_whole_session import first_script
from tests.reports.scenario import come_in
from tests.reports.test_review_pages import signed_in
from tests.web.people import check_page

GOAL = {
    "goal": "Get back to work",
    "short_term": [{"goal": "Ask about a volunteer job", "steps": ["Call the centre", "Visit"]}],
}


async def hold(server: Server) -> dict[str, Any]:
    dana = await server.staff("dana")
    ref, _slides, role_play = first_script(server)
    sid = (await dana.create_session(script_ref=ref))["id"]
    ann_token = await dana.invite(sid, "client", client_ref="C-001")
    ben_token = await dana.invite(sid, "client", client_ref="C-002")
    stranger = await dana.invite(sid, "client")
    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, ann_token, "Ann")
    await come_in(server, leader, ben_token, "Ben")
    visitor = await guest(server, stranger)
    pid = (await visitor.ok("join", {"display_name": "Someone"}))["you"]["id"]
    await leader.wait_event("participant.joined", participant=pid)
    await leader.ok("waiting.deny", {"participant": pid})
    await leader.ok("slide.show", {"index": 0})
    await leader.ok("slide.show", {"index": 1})
    await leader.ok("roleplay.start", {"role_play_id": role_play, "cast": {"client": ann}})
    await leader.ok("roleplay.end")
    await leader.ok("assignment.give", {"participant": ann, "text": "Walk 10 minutes a day"})
    await leader.ok("goal.note", {"participant": ann, **GOAL})
    await leader.ok("scale.record", {"participant": ann, "rater": "clinician", "items": [3] * 15})
    status, body = await dana.api("GET", f"/api/sessions/{sid}/notes")
    assert (status, body["error"]["code"]) == (409, "conflict")  # not before the end
    await leader.ok("session.end")
    return {"dana": dana, "sid": sid, "ref": ref, "role_play": role_play}


async def test_each_client_gets_a_draft_from_the_log(server: Server) -> None:
    held = await hold(server)
    dana, sid = held["dana"], held["sid"]
    status, body = await dana.api("GET", f"/api/sessions/{sid}/notes")
    assert status == 200
    notes = {n["client"]: n for n in body["notes"]}
    assert sorted(notes) == ["C-001", "C-002"]  # the stranger has none
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    script = curriculum.session(held["ref"])
    ann, ben = notes["C-001"]["facts"], notes["C-002"]["facts"]
    assert ann["attended"] and ann["module"] == curriculum.module(script.module_id).title
    assert ann["topics"] == [s.title for s in script.slides[:2]]
    title = curriculum.role_play(held["role_play"]).title
    assert ann["role_plays"] == [f"{title} (as client)"] and ben["role_plays"] == []
    assert ann["practice_given"] == ["Walk 10 minutes a day"]
    assert ann["goals"] == [
        "New goal: Get back to work. Short-term goals: Ask about a volunteer job "
        "(steps: Call the centre; Visit)"
    ]
    assert ann["scale"] == ["IMR Scales (clinician version): mean 3.00 over 15 items"]
    assert ben["goals"] == [] and ben["scale"] == [] and ben["practice_given"] == []
    assert notes["C-001"]["status"] == "draft"
    assert "Role play: none recorded." in notes["C-002"]["text"]
    assert "Ann" not in notes["C-001"]["draft"]  # the draft names nobody
    assert f"Topics covered: {script.slides[0].title}; " in notes["C-002"]["text"]


async def test_a_signed_note_is_immutable_and_amended_by_new_log_rows(server: Server) -> None:
    held = await hold(server)
    dana, sid = held["dana"], held["sid"]
    _, body = await dana.api("GET", f"/api/sessions/{sid}/notes")
    draft = next(n for n in body["notes"] if n["client"] == "C-001")
    base = f"/api/sessions/{sid}/notes/C-001"
    edited = draft["text"] + "\nAnn led the role play with confidence."

    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    assert (await sue.api("POST", f"{base}/sign", json={"text": edited}))[0] == 403
    status, _ = await dana.api("POST", f"{base}/amend", json={"text": "x", "reason": "y"})
    assert status == 409  # a draft is signed first
    wrong = {"text": edited, "draft_hash": "0" * 64}
    assert (await dana.api("POST", f"{base}/sign", json=wrong))[0] == 409
    assert (await dana.api("POST", f"{base}/sign", json={"text": " "}))[0] == 400
    signed = {"text": edited, "draft_hash": draft["draft_hash"]}
    status, ack = await dana.api("POST", f"{base}/sign", json=signed)
    assert (status, ack["status"]) == (200, "signed")
    assert (await dana.api("POST", f"{base}/sign", json=signed))[0] == 409  # immutable
    amend = {"text": edited + "\nCorrection: the walk is 15 minutes.", "reason": "Typo"}
    status, _ = await dana.api("POST", f"{base}/amend", json=amend)
    assert status == 200

    _, body = await sue.api("GET", f"/api/sessions/{sid}/notes")
    note = next(n for n in body["notes"] if n["client"] == "C-001")
    assert (note["status"], note["text"]) == ("amended", amend["text"])
    assert [(v["kind"], v["text"], v["by"], v["reason"]) for v in note["versions"]] == [
        ("note.signed", edited, dana.id, None),
        ("note.amended", amend["text"], dana.id, "Typo"),
    ]
    log = server.services.log
    assert [e.kind for e in await log.read(sid)][-2:] == ["note.signed", "note.amended"]
    assert (await log.verify(sid)).ok
    _, timeline = await sue.api("GET", f"/api/sessions/{sid}/timeline")
    said = [e["summary"] for e in timeline["entries"]][-2:]
    assert said == [
        "dana signed the progress note of C-001",
        "dana amended the progress note of C-001: Typo",
    ]

    async with dana.http.get(f"{base}/fhir") as resp:
        assert resp.status == 200 and resp.content_type == "application/fhir+json"
        bundle = Bundle.model_validate_json(await resp.text())
    kinds = {e.resource.get_resource_type(): e.resource for e in bundle.entry}
    assert sorted(kinds) == ["Composition", "DocumentReference", "Encounter", "Patient"]
    composition, document = kinds["Composition"], kinds["DocumentReference"]
    assert composition.status == "amended" and document.docStatus == "amended"
    assert composition.author[0].identifier.value == dana.id
    assert composition.encounter.reference == document.context.encounter[0].reference
    assert document.content[0].attachment.data == amend["text"].encode()  # base64 on the wire

    _, report = await dana.api("GET", "/api/reports/clients/C-001")
    assert [(n["session_id"], n["status"]) for n in report["progress_notes"]] == [(sid, "amended")]


async def test_the_clinician_edits_signs_and_amends_in_the_browser(
    server: Server, chromium: Browser
) -> None:
    held = await hold(server)
    dana, sid = held["dana"], held["sid"]
    page = await signed_in(chromium, server, dana)
    await page.goto(f"/review/sessions/{sid}/notes")
    ann = page.locator("section.note", has=page.get_by_role("link", name="C-001"))
    await expect(ann.get_by_role("heading", name="Client C-001: draft, not signed")).to_be_visible()
    note = ann.get_by_label("The note")
    await expect(note).to_have_value(re.compile(r"^Attendance: Attended \d+ of \d+ minutes\."))
    await check_page(page, "notes-01-drafts")
    await note.fill((await note.input_value()) + "\nAnn led the role play.")
    await ann.get_by_role("button", name="Sign the note").click()
    signed = ann.get_by_role("heading", name=re.compile(r"^Signed .* UTC by dana$"))
    await expect(signed).to_be_visible()
    await expect(ann.locator("pre.note-text")).to_contain_text("Ann led the role play.")

    await ann.get_by_role("button", name="Save the amendment").click()
    await expect(ann.get_by_role("alert")).to_have_text("Please say why the note is amended.")
    await ann.get_by_label("Amended text").fill("Ann led the role play well.")
    await ann.get_by_label("Why it is amended").fill("Clearer wording")
    await ann.get_by_role("button", name="Save the amendment").click()
    await expect(
        ann.get_by_role("heading", name="Client C-001: signed and amended")
    ).to_be_visible()
    await expect(
        ann.get_by_role("heading", name=re.compile(r"\(why: Clearer wording\)$"))
    ).to_be_visible()
    await check_page(page, "notes-02-amended")
    await page.goto("/review/clients/C-001")
    row = page.locator("#notes").get_by_role("row", name=f"{sid} signed and amended")
    await row.get_by_role("link", name=sid).click()
    await expect(page).to_have_url(re.compile(f"/review/sessions/{sid}/notes$"))
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert kinds[-2:] == ["note.signed", "note.amended"]

    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    other = await signed_in(chromium, server, sue)
    await other.goto(f"/review/sessions/{sid}/notes")
    await expect(
        other.get_by_text("Only the clinicians who led the session sign notes.")
    ).to_be_visible()
    await expect(other.get_by_role("button", name="Sign the note")).to_have_count(0)
