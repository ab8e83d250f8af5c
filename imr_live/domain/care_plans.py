"""A client's relapse-prevention plan and stress (coping) plan, every version kept.

Each plan is a few short lists the client and their clinician write together
(signs that trouble is coming, what helps, whom to tell). A change never
overwrites: it is a new row with the next version number, so every earlier
version stays readable. Plans belong to the client (their ``client_ref``), not
to one session. The leads of any session the client was invited to write them;
supervisors and admins read them; the client reads their own in "My IMR".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from imr_live.domain.accounts import Account
from imr_live.domain.clock import now_us
from imr_live.domain.roles import LEADS, Role
from imr_live.domain.sessions import Sessions
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound
from imr_live.store.database import Database

RELAPSE = "relapse_prevention"
STRESS = "stress_coping"

PLAN_TITLES = {RELAPSE: "My plan to stay well", STRESS: "My plan for stress"}
"""What the client sees as each plan's name."""

SECTIONS: dict[str, dict[str, str]] = {
    RELAPSE: {
        "triggers": "Things that can set me back",
        "warning_signs": "Early signs that I am getting unwell",
        "my_steps": "What I will do when I see a sign",
        "people_to_tell": "Who I will tell, and how they can help",
        "if_crisis": "If things get very bad",
    },
    STRESS: {
        "stressors": "What stresses me",
        "signs_of_stress": "How I know I am stressed",
        "coping_strategies": "What helps me cope",
        "people_who_help": "People I can talk to",
    },
}
"""Each plan's sections (list fields) and their plain-language headings."""

MAX_ENTRIES = 20
MAX_ENTRY = 300
MAX_NOTE = 300


@dataclass(frozen=True, slots=True)
class PlanVersion:
    """One saved version of a plan."""

    client_ref: str
    kind: str
    version: int
    content: dict[str, list[str]]
    written_by: str
    """The staff account that saved it."""
    written_at: int
    """µs since the epoch."""
    note: str | None = None
    """Why it changed (optional)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "kind": self.kind,
            "title": PLAN_TITLES[self.kind],
            "version": self.version,
            "content": self.content,
            "written_by": self.written_by,
            "written_at": self.written_at,
            "note": self.note,
        }

    def for_client(self) -> dict[str, Any]:
        """The client's own view: headings and entries, no staff ids."""
        return {
            "kind": self.kind,
            "title": PLAN_TITLES[self.kind],
            "version": self.version,
            "written_at": self.written_at,
            "sections": [
                {"key": key, "heading": heading, "entries": self.content.get(key, [])}
                for key, heading in SECTIONS[self.kind].items()
            ],
        }


def checked_kind(kind: str) -> str:
    """``kind`` if it names a plan; InvalidInput otherwise."""
    if kind not in SECTIONS:
        raise InvalidInput(f"plan: must be one of {', '.join(SECTIONS)}")
    return kind


def checked_content(kind: str, content: object) -> dict[str, list[str]]:
    """A plan's sections as lists of short texts; InvalidInput naming the first problem."""
    if not isinstance(content, dict):
        raise InvalidInput("content: an object of sections")
    sections = SECTIONS[checked_kind(kind)]
    unknown = sorted(set(content) - set(sections))
    if unknown:
        raise InvalidInput(f"content: unknown section {unknown[0][:40]!r}")
    out: dict[str, list[str]] = {}
    for key in sections:
        entries = content.get(key, [])
        if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
            raise InvalidInput(f"{key}: a list of at most {MAX_ENTRIES} entries")
        texts = []
        for entry in entries:
            if not isinstance(entry, str) or len(entry) > MAX_ENTRY:
                raise InvalidInput(f"{key}: each entry text of at most {MAX_ENTRY} characters")
            if entry.strip():
                texts.append(entry.strip())
        out[key] = texts
    if not any(out.values()):
        raise InvalidInput("content: write at least one entry")
    return out


class CarePlans:
    """The ``care_plans`` table: append-only versions per client and plan."""

    def __init__(self, db: Database, sessions: Sessions) -> None:
        self.db = db
        self.sessions = sessions

    async def history(self, client_ref: str, kind: str) -> list[PlanVersion]:
        """Every version of one plan, oldest first."""
        rows = await self.db.fetch(
            "SELECT * FROM care_plans WHERE client_ref = ? AND kind = ? ORDER BY version",
            client_ref,
            checked_kind(kind),
        )
        return [_from_row(r) for r in rows]

    async def of_client(self, client_ref: str) -> dict[str, list[PlanVersion]]:
        """Every plan of a client: kind -> its versions, oldest first (empty when none)."""
        rows = await self.db.fetch(
            "SELECT * FROM care_plans WHERE client_ref = ? ORDER BY kind, version", client_ref
        )
        out: dict[str, list[PlanVersion]] = {kind: [] for kind in SECTIONS}
        for row in rows:
            if row["kind"] in out:
                out[row["kind"]].append(_from_row(row))
        return out

    async def current(self, client_ref: str) -> dict[str, PlanVersion]:
        """The newest version of each plan the client has."""
        return {k: v[-1] for k, v in (await self.of_client(client_ref)).items() if v}

    async def save(
        self,
        account: Account,
        client_ref: str,
        kind: str,
        content: object,
        base_version: object = None,
        note: object = None,
    ) -> PlanVersion:
        """Keep a new version; ``base_version`` (the version the writer started from, 0 for
        a new plan) guards against overwriting someone else's change unseen."""
        kind = checked_kind(kind)
        plan = checked_content(kind, content)
        if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
            raise InvalidInput(f"note: text of at most {MAX_NOTE} characters")
        await self.check_lead(account, client_ref)
        versions = await self.history(client_ref, kind)
        latest = versions[-1].version if versions else 0
        if base_version is not None and base_version != latest:
            raise Conflict("the plan changed since you opened it: reload and check it")
        saved = PlanVersion(
            client_ref, kind, latest + 1, plan, account.id, now_us(), (note or None)
        )
        changed = await self.db.execute(
            "INSERT INTO care_plans (client_ref, kind, version, content, written_by,"
            " written_at, note) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            client_ref,
            kind,
            saved.version,
            json.dumps(plan),
            account.id,
            saved.written_at,
            saved.note,
        )
        if not changed:
            raise Conflict("someone saved this plan at the same moment: reload and check it")
        return saved

    async def check_lead(self, account: Account, client_ref: str) -> None:
        """Forbidden unless the account leads or co-leads a session the client was invited to."""
        if not await self._roles(account, client_ref) & LEADS:
            raise Forbidden("only the clinicians who lead this client's sessions write their plans")

    async def check_reader(self, account: Account, client_ref: str) -> None:
        """NotFound unless the account has a role in a session the client was invited to."""
        if not await self._roles(account, client_ref):
            raise NotFound("no sessions of this client that you may review")

    async def _roles(self, account: Account, client_ref: str) -> set[Role]:
        rows = await self.db.fetch_values(
            "SELECT DISTINCT session_id FROM invites WHERE client_ref = ? AND role = ?",
            client_ref,
            Role.CLIENT.value,
        )
        roles: set[Role] = set()
        for (session_id,) in rows:
            role = (await self.sessions.get(session_id)).staff_role(account)
            if role is not None:
                roles.add(role)
        return roles


def _from_row(row: dict[str, Any]) -> PlanVersion:
    return PlanVersion(
        row["client_ref"],
        row["kind"],
        int(row["version"]),
        json.loads(row["content"]),
        row["written_by"],
        int(row["written_at"]),
        row["note"],
    )
