"""Loads what reports read: sessions, their stored logs and their invites.

Program-wide reports need only a fold of each log (attendance and the kinds
of events), so ``ReportRecords.summarised`` keeps those folds in a per-process
cache keyed by the session's last ``seq`` and ``hash`` (and what else the fold
reads: planned start, client refs). A new event changes the key, so a summary
is always the fold of the log as it is stored now; unchanged sessions are not
read or folded again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property

from imr_live.curriculum import Curriculum
from imr_live.domain.accounts import Account
from imr_live.domain.sessions import Session, Sessions
from imr_live.reports.attendance import SessionAttendance, attendance
from imr_live.reports.invites import InviteRecord, invites_of
from imr_live.reports.scale import IMRS, scale_entry
from imr_live.store.database import Database
from imr_live.store.session_log import LogEvent, SessionLog


@dataclass(frozen=True, slots=True)
class Summary:
    """The folds of one stored log that program-wide reports read."""

    kinds: frozenset[str]
    """Every event kind in the log."""
    kept: tuple[LogEvent, ...]
    """Its events of ``KEPT_KINDS``, which client figures read."""
    presence: SessionAttendance
    """The session's attendance, client refs filled in."""


KEPT_KINDS = frozenset({"module.completed", "scale.recorded"})
"""Event kinds a summary keeps whole: program figures count completions and ratings."""

SummaryKey = tuple[str, int, str, int, tuple[tuple[str, str], ...]]
"""(session id, last seq, last hash, planned start, client refs)."""


class SummaryCache:
    """Summaries by key, the least recently used dropped beyond ``size``."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self.items: OrderedDict[SummaryKey, Summary] = OrderedDict()

    def get(self, key: SummaryKey) -> Summary | None:
        found = self.items.get(key)
        if found is not None:
            self.items.move_to_end(key)
        return found

    def put(self, key: SummaryKey, summary: Summary) -> None:
        self.items[key] = summary
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)


SUMMARIES = SummaryCache()
"""This process's summaries (they are derived data: losing them costs a re-read)."""


@dataclass(frozen=True)
class SessionRecord:
    """One session with its stored log and invites: everything a report needs of it.

    Folds of the log that several reports need (attendance, kinds) are computed
    once per record and kept on it. A record made by ``summarised`` carries
    only those folds (``summary``): its ``events`` are not loaded.
    """

    session: Session
    events: list[LogEvent]
    """The session's log, in seq order (empty when only the summary was loaded)."""
    invites: list[InviteRecord]
    """Every invite of the session (revoked ones too)."""
    summary: Summary | None = field(default=None, compare=False, repr=False)
    """The log's folds, when they came from the cache instead of ``events``."""

    @property
    def held(self) -> bool:
        """True once the session started (its log has ``session.started``)."""
        return "session.started" in self._kinds

    @property
    def ended(self) -> bool:
        """True once the log has ``session.ended``."""
        return "session.ended" in self._kinds

    def client_refs(self) -> dict[str, str]:
        """Invite id -> client_ref, for invites that carry one (a supporter's: whom they support)."""
        return {i.id: i.client_ref for i in self.invites if i.client_ref}

    def kinds(self) -> frozenset[str]:
        """Every event kind in the log."""
        return self._kinds

    def kept(self) -> tuple[LogEvent, ...]:
        """The log's events of ``KEPT_KINDS`` (clinicians' marks and scale ratings)."""
        if self.summary is not None:
            return self.summary.kept
        return tuple(e for e in self.events if e.kind in KEPT_KINDS)

    @cached_property
    def _kinds(self) -> frozenset[str]:
        if self.summary is not None:
            return self.summary.kinds
        return frozenset(e.kind for e in self.events)

    @cached_property
    def presence(self) -> SessionAttendance:
        """The session's attendance (client refs filled in), folded once per record."""
        if self.summary is not None:
            return self.summary.presence
        return attendance(self.session, self.events, self.client_refs())

    def summary_key(self, head: tuple[int, str] | None) -> SummaryKey:
        """The cache key of this record's folds when its log ends at ``head`` (seq, hash)."""
        seq, last = head or (0, "")
        refs = tuple(sorted(self.client_refs().items()))
        return (self.session.id, seq, last, self.session.scheduled_at, refs)


class ReportRecords:
    """Reads sessions, logs and invites from the store (never from live state)."""

    def __init__(
        self,
        db: Database,
        log: SessionLog,
        sessions: Sessions,
        curriculum: Curriculum | None = None,
    ) -> None:
        self.db = db
        self.log = log
        self.sessions = sessions
        self.curriculum = curriculum
        """Places sessions in modules and plans (None: by the ref scheme alone)."""

    async def record(self, session: Session) -> SessionRecord:
        """One session's record."""
        events = await self.log.read(session.id)
        return SessionRecord(session, events, (await invites_of(self.db, [session.id]))[session.id])

    async def many(self, found: list[Session]) -> list[SessionRecord]:
        """Records of these sessions, in this order, from one log query and one invite query."""
        ids = [s.id for s in found]
        logs = await self.log.read_many(ids)
        invites = await invites_of(self.db, ids)
        return [SessionRecord(s, logs[s.id], invites[s.id]) for s in found]

    async def visible_to(self, account: Account) -> list[SessionRecord]:
        """Records of every session the account may review, oldest first."""
        return await self.many(await self._visible_sessions(account))

    async def summarised(self, account: Account) -> list[SessionRecord]:
        """Like ``visible_to``, but records carry only the folds program reports read.

        Logs are read (in one query) and folded only for sessions whose summary
        is not cached under their current last seq and hash.
        """
        found = await self._visible_sessions(account)
        ids = [s.id for s in found]
        heads = await self.log.heads(ids)
        invites = await invites_of(self.db, ids)
        out: dict[str, SessionRecord] = {}
        for s in found:
            bare = SessionRecord(s, [], invites[s.id])
            hit = SUMMARIES.get(bare.summary_key(heads.get(s.id)))
            if hit is not None:
                out[s.id] = SessionRecord(s, [], invites[s.id], hit)
        by_id = {s.id: s for s in found}
        logs = await self.log.read_many([sid for sid in by_id if sid not in out])
        for sid, events in logs.items():
            record = SessionRecord(by_id[sid], events, invites[sid])
            head = (events[-1].seq, events[-1].hash) if events else None
            summary = Summary(record.kinds(), record.kept(), record.presence)
            SUMMARIES.put(record.summary_key(head), summary)
            out[sid] = record
        return [out[s.id] for s in found]

    async def _visible_sessions(self, account: Account) -> list[Session]:
        found = await self.sessions.for_account(account)
        found.sort(key=lambda s: (s.scheduled_at, s.id))
        return found

    async def of_client(self, client_ref: str, account: Account) -> list[SessionRecord]:
        """Records of the sessions a client was invited to (as a client) that the account may review."""
        rows = await self.db.fetch(
            "SELECT DISTINCT session_id FROM invites WHERE client_ref = ? AND role = ?",
            client_ref,
            "client",
        )
        found = [await self.sessions.get(r["session_id"]) for r in rows]
        mine = [s for s in found if s.staff_role(account) is not None]
        mine.sort(key=lambda s: (s.scheduled_at, s.id))
        return await self.many(mine)

    async def last_rated(self, client_ref: str) -> dict[str, int]:
        """When the client was last rated on the published IMR Scales, per rater (µs), in
        *any* session of the program, the account's or a colleague's.

        Only the dates leave here, never the ratings, so a lead's reminder that a
        rating is due does not show one just made in a session they cannot review.
        """
        rows = await self.db.fetch(
            "SELECT DISTINCT session_id FROM invites WHERE client_ref = ? AND role = ?",
            client_ref,
            "client",
        )
        sids = [r["session_id"] for r in rows]
        invites = await invites_of(self.db, sids)
        logs = await self.log.read_many(sids)
        last: dict[str, int] = {}
        for sid, events in logs.items():
            ids = {i.id for i in invites[sid] if i.client_ref == client_ref and i.for_client}
            for ev in events:
                if ev.kind != "scale.recorded" or ev.data.get("participant") not in ids:
                    continue
                entry = scale_entry(ev)
                if entry is not None and entry.form == IMRS:
                    last[entry.rater] = max(last.get(entry.rater, 0), entry.at)
        return last

    async def usernames(self) -> dict[str, str]:
        """Staff account id -> username (for labelling clinicians)."""
        rows = await self.db.fetch("SELECT id, username FROM accounts")
        return {r["id"]: r["username"] for r in rows}
