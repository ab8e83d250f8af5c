"""Fidelity: the IT-IS per session and the IMR Fidelity Scale per program, rated by supervisors.

The IT-IS (IMR Treatment Integrity Scale; McGuire et al., 2012) rates how well
one session followed IMR: 16 items, 13 always rated and 3 rated when they apply
(two of those only in groups). The IMR Fidelity Scale rates a whole program on
13 items. Both score each item 1-5 (5: done fully and well). The item names and
the words for each score here are our own short descriptions, not the published
anchors; a program using the published forms rates from them and enters the scores.

Scores: the mean of the items rated (two decimals). A required item must be
rated; an optional one may be left empty (None).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from imr_live.domain.accounts import Account
from imr_live.domain.clock import now_us
from imr_live.domain.ids import new_id
from imr_live.domain.roles import StaffRole
from imr_live.errors import Forbidden, InvalidInput
from imr_live.store.database import Database

ITIS, PROGRAM = "itis", "imr_fidelity"
SOURCES = ("observed", "recording", "afterwards")
"""How the supervisor saw the session: in the room, from a recording, or from the record after."""
SCORE_WORDS = (
    "Not done",
    "Tried, but not well",
    "Done in part",
    "Done well",
    "Done fully and with skill",
)
"""What each score 1-5 means on every item (each item says what a 5 looks like)."""
MAX_COMMENT = 1000


@dataclass(frozen=True, slots=True)
class FidelityItem:
    """One item: what it is about and what a top score looks like (our own words)."""

    number: int
    name: str
    top: str
    """What a 5 looks like."""
    optional: bool = False
    """May be left unrated (does not apply in this session)."""
    group_only: bool = False
    """Rated only for group sessions (refused for individual ones)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {k: getattr(self, k) for k in self.__slots__} | {"scores": list(SCORE_WORDS)}


ITIS_ITEMS: tuple[FidelityItem, ...] = (
    FidelityItem(1, "Supporters involved", "Family or friends take part or are asked about.", True),
    FidelityItem(2, "Uses the IMR material", "The session follows the module and uses its pages."),
    FidelityItem(3, "Agenda set", "The plan for the session is agreed at the start."),
    FidelityItem(4, "Time used well", "The session keeps to its plan and uses its time well."),
    FidelityItem(5, "Practice reviewed", "Last time's home practice is asked about and praised."),
    FidelityItem(6, "Practice planned", "New home practice is planned together and written down."),
    FidelityItem(7, "Goals set", "Each client has a personal goal that means something to them."),
    FidelityItem(8, "Goals followed up", "Progress on goals and their steps is checked."),
    FidelityItem(9, "Motivation", "Learning is linked to the client's own goals and hopes."),
    FidelityItem(10, "Teaching", "Ideas are taught in small parts, with questions and checks."),
    FidelityItem(
        11, "Thinking and doing skills", "Skills are shown, practised in role play, praised."
    ),
    FidelityItem(12, "Coping skills", "Ways to cope are practised and improved for each client."),
    FidelityItem(13, "Relapse prevention", "Early signs and a plan to stay well are worked on."),
    FidelityItem(14, "Medicine routines", "Ways to fit medicine into daily life are worked out."),
    FidelityItem(
        15, "Group members help each other", "Members give each other ideas and praise.", True, True
    ),
    FidelityItem(
        16, "Everyone takes part", "Each member is drawn in; nobody is left out.", True, True
    ),
)
"""The IT-IS items; 14 ("Medicine routines") is required, as in the published scale's 13."""

PROGRAM_ITEMS: tuple[FidelityItem, ...] = (
    FidelityItem(1, "Group size", "Groups are small enough for everyone to take part."),
    FidelityItem(2, "Program length", "Clients get enough sessions to finish the program."),
    FidelityItem(3, "Whole curriculum", "Every module is offered and covered."),
    FidelityItem(4, "Handouts", "Clients get the module pages to keep."),
    FidelityItem(5, "Supporters involved", "Family or friends are invited to take part."),
    FidelityItem(6, "Goal setting", "Every client sets personal goals with steps."),
    FidelityItem(7, "Goal follow-up", "Goals are checked and updated in most sessions."),
    FidelityItem(8, "Motivation", "Staff link learning to each client's goals."),
    FidelityItem(9, "Teaching", "Staff teach in small parts and check what was learned."),
    FidelityItem(10, "Thinking and doing skills", "Staff use role play, practice and praise."),
    FidelityItem(11, "Coping skills", "Staff help clients build and use coping skills."),
    FidelityItem(12, "Relapse prevention", "Clients make a plan to stay well, with supporters."),
    FidelityItem(13, "Medicine routines", "Staff help clients fit medicine into daily life."),
)
"""The IMR Fidelity Scale's 13 items (program level)."""

ITEMS = {ITIS: ITIS_ITEMS, PROGRAM: PROGRAM_ITEMS}
TITLES = {ITIS: "IT-IS (IMR Treatment Integrity Scale)", PROGRAM: "IMR Fidelity Scale"}


def instruments() -> dict[str, Any]:
    """Both scales for the rating forms."""
    return {
        scale: {"title": TITLES[scale], "items": [i.as_dict() for i in items]}
        for scale, items in ITEMS.items()
    }


def checked_scores(scale: str, scores: object, group: bool) -> list[int | None]:
    """A rating's scores in item order; InvalidInput naming the first problem."""
    items = ITEMS[scale]
    if not isinstance(scores, list) or len(scores) != len(items):
        raise InvalidInput(f"items: the {TITLES[scale]} has {len(items)} items")
    out: list[int | None] = []
    for item, score in zip(items, scores, strict=True):
        if score is None:
            if not item.optional:
                raise InvalidInput(f"item {item.number} ({item.name}): a score 1-5 is required")
        elif isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
            raise InvalidInput(f"item {item.number}: a score is 1-5")
        elif item.group_only and not group:
            raise InvalidInput(f"item {item.number} ({item.name}): only for group sessions")
        out.append(score)
    return out


def mean_of(scores: list[int | None]) -> float | None:
    """The mean of the rated items, two decimals."""
    given = [s for s in scores if s is not None]
    return round(sum(given) / len(given), 2) if given else None


@dataclass(frozen=True, slots=True)
class FidelityRating:
    """One supervisor's rating of a session (IT-IS) or of the program (IMR Fidelity Scale)."""

    id: str
    scale: str
    target: str
    """``session:<id>`` or ``program:<period>``."""
    leader_id: str | None
    """The session's leading clinician (IT-IS)."""
    rated_by: str
    rated_at: int
    source: str
    scores: list[int | None]
    comment: str | None

    @property
    def mean(self) -> float | None:
        """The mean of the rated items."""
        return mean_of(self.scores)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "id": self.id,
            "scale": self.scale,
            "target": self.target,
            "leader_id": self.leader_id,
            "rated_by": self.rated_by,
            "rated_at": self.rated_at,
            "source": self.source,
            "scores": self.scores,
            "mean": self.mean,
            "comment": self.comment,
        }

    def flat(self) -> dict[str, Any]:
        """One CSV row: the fields and a column per item."""
        row = {k: v for k, v in self.as_dict().items() if k != "scores"}
        row["month"] = month_of(self.rated_at)
        for item, score in zip(ITEMS[self.scale], self.scores, strict=True):
            row[f"item_{item.number}"] = score
        return row


def csv_columns(scale: str) -> list[str]:
    """The CSV columns of a scale's rows."""
    fixed = ["id", "scale", "target", "leader_id", "rated_by", "rated_at", "month", "source"]
    return [*fixed, "mean", "comment", *(f"item_{i.number}" for i in ITEMS[scale])]


def month_of(at_us: int) -> str:
    """``YYYY-MM`` (UTC) of a time in µs."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%Y-%m")


def over_time(ratings: list[FidelityRating], key: str) -> list[dict[str, Any]]:
    """Mean score per month and per ``key`` (``leader_id`` or ``scale``), oldest first."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in ratings:
        if r.mean is not None:
            groups[(month_of(r.rated_at), str(getattr(r, key) or ""))].append(r.mean)
    return [
        {"month": month, key: who, "ratings": len(means), "mean": round(sum(means) / len(means), 2)}
        for (month, who), means in sorted(groups.items())
    ]


def check_supervisor(account: Account) -> None:
    """Forbidden unless the account is a supervisor or an admin."""
    if account.role not in (StaffRole.SUPERVISOR, StaffRole.ADMIN):
        raise Forbidden("only supervisors rate fidelity")


class FidelityRatings:
    """The ``fidelity_ratings`` table (rows are never changed; a new rating is a new row)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self,
        account: Account,
        scale: str,
        target: str,
        leader_id: str | None,
        scores: list[int | None],
        source: object,
        comment: object,
    ) -> FidelityRating:
        """Keep a rating (supervisors and admins only)."""
        check_supervisor(account)
        if source not in SOURCES:
            raise InvalidInput(f"source: one of {', '.join(SOURCES)}")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
            raise InvalidInput(f"comment: text of at most {MAX_COMMENT} characters")
        rating = FidelityRating(
            new_id("fr"),
            scale,
            target,
            leader_id,
            account.id,
            now_us(),
            str(source),
            scores,
            comment or None,
        )
        await self.db.execute(
            "INSERT INTO fidelity_ratings (id, scale, target, leader_id, rated_by, rated_at,"
            " source, items, comment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rating.id,
            rating.scale,
            rating.target,
            rating.leader_id,
            rating.rated_by,
            rating.rated_at,
            rating.source,
            json.dumps(rating.scores),
            rating.comment,
        )
        return rating

    async def of_target(self, scale: str, target: str) -> list[FidelityRating]:
        """Ratings of one session or program period, oldest first."""
        rows = await self.db.fetch(
            "SELECT * FROM fidelity_ratings WHERE scale = ? AND target = ? ORDER BY rated_at, id",
            scale,
            target,
        )
        return [_from_row(r) for r in rows]

    async def all(self, scale: str) -> list[FidelityRating]:
        """Every rating on one scale, oldest first."""
        rows = await self.db.fetch(
            "SELECT * FROM fidelity_ratings WHERE scale = ? ORDER BY rated_at, id", scale
        )
        return [_from_row(r) for r in rows]


def _from_row(row: dict[str, Any]) -> FidelityRating:
    return FidelityRating(
        row["id"],
        row["scale"],
        row["target"],
        row["leader_id"],
        row["rated_by"],
        int(row["rated_at"]),
        row["source"],
        json.loads(row["items"]),
        row["comment"],
    )
