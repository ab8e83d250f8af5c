"""Handouts and worksheets a lead uploads to a session, kept as PNG page images.

Only the pictures made by ``handout_pages`` are stored (never the uploaded file).
A handout belongs to one session. Its pages are open to that session's people
once a lead has shown it in the room (``first_shown_at``), and later to the
session's clients in "My IMR"; the edges check who is asking.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imr_live.domain.clock import now_us
from imr_live.domain.handout_pages import PageImage
from imr_live.domain.ids import new_id
from imr_live.errors import InvalidInput, NotFound
from imr_live.store.database import Database

TITLE_MAX = 80
COLUMNS = "id, session_id, title, pages, uploaded_by, uploaded_at, first_shown_at"


@dataclass(frozen=True, slots=True)
class Handout:
    """One uploaded handout (its pages are read one at a time)."""

    id: str
    session_id: str
    title: str
    pages: int
    uploaded_by: str
    """Participant id of the lead who uploaded it (a staff account or a co-leader's invite)."""
    uploaded_at: int
    first_shown_at: int | None
    """When a lead first showed it in the room (None: not shown yet)."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (no uploader: the room does not need it)."""
        return {
            "id": self.id,
            "session_id": self.session_id,
            "title": self.title,
            "pages": self.pages,
            "uploaded_at": self.uploaded_at,
            "shown": self.first_shown_at is not None,
        }


def clean_title(title: str, fallback: str) -> str:
    """A handout's title: the one given, else the file's name without its ending."""
    text = " ".join(title.split()) or " ".join(fallback.rsplit(".", 1)[0].split())
    if not text:
        raise InvalidInput("title: give the handout a title")
    return text[:TITLE_MAX]


class Handouts:
    """Stored handouts and their page images."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, session_id: str, title: str, pages: Sequence[PageImage], by: str
    ) -> Handout:
        """Store a handout's pages, then the handout (so a half-stored one is never listed)."""
        handout = Handout(new_id("h"), session_id, title, len(pages), by, now_us(), None)
        for number, page in enumerate(pages, start=1):
            await self.db.execute(
                "INSERT INTO handout_pages (handout_id, page, width, height, png)"
                " VALUES (?, ?, ?, ?, ?)",
                handout.id,
                number,
                page.width,
                page.height,
                page.png,
            )
        await self.db.execute(
            f"INSERT INTO handouts ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            handout.id,
            session_id,
            title,
            handout.pages,
            by,
            handout.uploaded_at,
            None,
        )
        return handout

    async def get(self, handout_id: str) -> Handout:
        """A stored handout; NotFound otherwise."""
        row = await self.db.fetchrow(f"SELECT {COLUMNS} FROM handouts WHERE id = ?", handout_id)
        if row is None:
            raise NotFound("no such handout")
        return _handout(row)

    async def for_session(self, session_id: str) -> list[Handout]:
        """A session's handouts, oldest first."""
        rows = await self.db.fetch(
            f"SELECT {COLUMNS} FROM handouts WHERE session_id = ? ORDER BY uploaded_at, id",
            session_id,
        )
        return [_handout(r) for r in rows]

    async def shown_in(self, session_ids: Sequence[str]) -> list[Handout]:
        """Handouts a lead showed in any of these sessions, in the order first shown."""
        if not session_ids:
            return []
        rows = await self.db.fetch_in(
            f"SELECT {COLUMNS} FROM handouts WHERE first_shown_at IS NOT NULL"
            " AND session_id IN ({marks})",
            list(session_ids),
        )
        return sorted((_handout(r) for r in rows), key=lambda h: (h.first_shown_at or 0, h.id))

    async def page(self, handout: Handout, number: int) -> bytes:
        """One page's PNG; NotFound for a page the handout does not have."""
        if not 1 <= number <= handout.pages:
            raise NotFound(f"this handout has pages 1 to {handout.pages}")
        row = await self.db.fetchrow(
            "SELECT png FROM handout_pages WHERE handout_id = ? AND page = ?", handout.id, number
        )
        if row is None:
            raise NotFound("no such page")
        return bytes(row["png"])

    async def mark_shown(self, handout_id: str) -> None:
        """Remember the first time a lead showed the handout in the room."""
        await self.db.execute(
            "UPDATE handouts SET first_shown_at = ? WHERE id = ? AND first_shown_at IS NULL",
            now_us(),
            handout_id,
        )


def _handout(row: Any) -> Handout:
    return Handout(
        id=row["id"],
        session_id=row["session_id"],
        title=row["title"],
        pages=int(row["pages"]),
        uploaded_by=row["uploaded_by"],
        uploaded_at=int(row["uploaded_at"]),
        first_shown_at=None if row["first_shown_at"] is None else int(row["first_shown_at"]),
    )
