"""Progress notes: a draft per client per session from the log, signed by the clinician.

The draft is folded from the session's log once ``session.ended`` is in it:
attendance and minutes, module and topics (slides shown), role plays the
client took part in, home practice reviewed and given, goals with their
short-term goals and steps, and IMR Scales scores. A draft is not stored: the
same log always gives the same draft.

Signing and amending append to the session's own hash-chained log:
``note.signed {client, text, draft}`` (the clinician's edited text and the
hash of the draft it started from) and ``note.amended {client, text, reason}``.
A log row cannot change without breaking the chain and the signed head, so a
signed note is immutable; an amendment is a new row with who, when and why,
and the note shows the latest text with every earlier version kept.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from imr_live.curriculum import Curriculum
from imr_live.domain.imr_scales import mean_score
from imr_live.errors import NotFound
from imr_live.reports.modules import module_title
from imr_live.reports.places import expected, person_of
from imr_live.reports.records import SessionRecord
from imr_live.store.session_log import LogEvent

SIGNED, AMENDED = "note.signed", "note.amended"
NOTE_KINDS = frozenset({SIGNED, AMENDED})
US_PER_MIN = 60_000_000
GOAL_WORDS = {"in_progress": "in progress", "achieved": "achieved", "dropped": "dropped"}


@dataclass(frozen=True, slots=True)
class NoteVersion:
    """The signed text or an amendment: who, when, and why (amendments)."""

    kind: str
    text: str
    by: str
    at: int
    seq: int
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "kind": self.kind,
            "text": self.text,
            "by": self.by,
            "at": self.at,
            "seq": self.seq,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ProgressNote:
    """One client's note of one session: the draft from the log and any signed versions."""

    session_id: str
    client: str
    """The client's record number (``client_ref``), else their link's id."""
    facts: dict[str, Any]
    """What the draft says, as data (for the FHIR sections and for checking)."""
    draft: str
    versions: list[NoteVersion] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``draft``, ``signed`` or ``amended``."""
        if not self.versions:
            return "draft"
        return "amended" if self.versions[-1].kind == AMENDED else "signed"

    @property
    def text(self) -> str:
        """The latest signed or amended text, else the draft."""
        return self.versions[-1].text if self.versions else self.draft

    @property
    def draft_hash(self) -> str:
        """SHA-256 of the draft: what a signature says it started from."""
        return hashlib.sha256(self.draft.encode()).hexdigest()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "session_id": self.session_id,
            "client": self.client,
            "status": self.status,
            "text": self.text,
            "draft": self.draft,
            "draft_hash": self.draft_hash,
            "facts": self.facts,
            "versions": [v.as_dict() for v in self.versions],
        }


def progress_notes(record: SessionRecord, curriculum: Curriculum | None) -> list[ProgressNote]:
    """A note per client expected in the session (NotFound before ``session.ended``)."""
    if not record.ended:
        raise NotFound("progress notes are drafted when the session has ended")
    clients: dict[str, set[str]] = {}
    for invite in record.invites:
        if invite.for_client:
            clients.setdefault(person_of(invite), set()).add(invite.id)
    rows = {r.participant: r for r in record.presence.people}
    wanted = {i.id for i in record.invites if expected(i, record.presence, rows.get(i.id))}
    length = record.presence.length_us
    context = _session_context(record, curriculum)
    signed = _versions(record.events)
    notes = []
    for client, ids in clients.items():
        mine = [rows[i] for i in ids if i in rows]
        if not ids & wanted:
            continue  # a stranger turned away, a link never meant to be used
        present = sum(r.present_us for r in mine)
        facts = {
            **context,
            "attended": any(r.attended for r in mine),
            "minutes_present": round(present / US_PER_MIN),
            "minutes_session": round(length / US_PER_MIN),
            **_care(record.events, ids),
        }
        notes.append(
            ProgressNote(record.session.id, client, facts, _text(facts), signed.get(client, []))
        )
    return sorted(notes, key=lambda n: n.client)


def _session_context(record: SessionRecord, curriculum: Curriculum | None) -> dict[str, Any]:
    """Module, session title and the topics shown (slide titles, in the order shown)."""
    ref = record.session.script_ref
    module, title = None, record.session.title
    slide_titles: dict[str, str] = {}
    if ref and curriculum is not None:
        try:
            script = curriculum.session(ref)
        except NotFound:
            script = None
        if script is not None:
            module = module_title(script.module_id, curriculum)
            title = f"Session {script.number}: {script.title}"
            slide_titles = {s.id: s.title for s in script.slides}
    topics: list[str] = []
    for ev in record.events:
        if ev.kind == "slide.shown":
            sid = str(ev.data.get("slide_id", ""))
            topic = slide_titles.get(sid) or sid.rsplit("/", 1)[-1].replace("-", " ")
            if topic and topic not in topics:
                topics.append(topic)
    return {"module": module, "session": title, "topics": topics}


def _care(events: Iterable[LogEvent], ids: set[str]) -> dict[str, Any]:
    """Role plays, home practice, goals and scale scores of this client, from the log."""
    role_plays, reviewed, given, goals, scale = [], [], [], [], []
    for ev in events:
        d = ev.data
        if ev.kind == "roleplay.started":
            roles = [role for role, pid in (d.get("cast") or {}).items() if pid in ids]
            if roles:
                role_plays.append(f"{d.get('title')} (as {', '.join(roles)})")
            continue
        if d.get("participant") not in ids:
            continue
        if ev.kind == "assignment.given":
            given.append(str(d.get("text")))
        elif ev.kind == "assignment.reviewed":
            done = "done" if d.get("done") else "not done"
            reviewed.append(f"{done}{': ' + d['note'] if d.get('note') else ''}")
        elif ev.kind == "goal.noted":
            steps = [
                f"{s.get('goal')}"
                + (f" (steps: {'; '.join(s.get('steps') or [])})" if s.get("steps") else "")
                for s in d.get("short_term") or []
            ]
            goals.append(
                f"New goal: {d.get('goal')}"
                + (f". Short-term goals: {' | '.join(steps)}" if steps else "")
            )
        elif ev.kind == "goal.updated":
            status = GOAL_WORDS.get(str(d.get("status")), str(d.get("status")))
            goals.append(f"Goal progress: {status}{': ' + d['note'] if d.get('note') else ''}")
        elif ev.kind == "scale.recorded":
            scale.append(_scale_words(d))
    return {
        "role_plays": role_plays,
        "practice_reviewed": reviewed,
        "practice_given": given,
        "goals": goals,
        "scale": scale,
    }


def _scale_words(d: dict[str, Any]) -> str:
    items = d.get("items") or []
    if len(items) == 14 and all(isinstance(a, int) for a in items):
        return f"IMR scale ({d.get('rater')} rating, old form): total {d.get('total')}"
    mean = mean_score(tuple(items))
    answered = sum(a is not None for a in items)
    score = "no items answered" if mean is None else f"mean {mean:.2f}"
    return f"IMR Scales ({d.get('rater')} version): {score} over {answered} items"


def _text(f: dict[str, Any]) -> str:
    """The draft in plain words, one line per part (empty parts say so)."""

    def listed(values: list[str]) -> str:
        return "; ".join(values) if values else "none recorded"

    came = (
        f"Attended {f['minutes_present']} of {f['minutes_session']} minutes."
        if f["attended"]
        else "Did not attend."
    )
    where = f"{f['module']}, {f['session']}" if f["module"] else f["session"]
    return "\n".join(
        [
            f"Attendance: {came}",
            f"Module and session: {where}.",
            f"Topics covered: {listed(f['topics'])}.",
            f"Role play: {listed(f['role_plays'])}.",
            f"Home practice reviewed: {listed(f['practice_reviewed'])}.",
            f"Home practice given: {listed(f['practice_given'])}.",
            f"Goals: {listed(f['goals'])}.",
            f"IMR Scales: {listed(f['scale'])}.",
        ]
    )


def _versions(events: Iterable[LogEvent]) -> dict[str, list[NoteVersion]]:
    """Signed and amended texts per client, in log order."""
    out: dict[str, list[NoteVersion]] = {}
    for ev in events:
        if ev.kind in NOTE_KINDS:
            version = NoteVersion(
                ev.kind,
                str(ev.data.get("text", "")),
                ev.actor,
                ev.at,
                ev.seq,
                ev.data.get("reason"),
            )
            out.setdefault(str(ev.data.get("client")), []).append(version)
    return out
