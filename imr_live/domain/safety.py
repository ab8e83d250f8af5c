"""Safety in the room: where each client is today, "I need help now", and private talks.

Where a client is and how to reach them is personal data: it is kept in its own
table (``safety_checks``), never in the session log (which records only that the
check was made), never in app logs, and reaches only staff connections.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.clock import now_us
from imr_live.domain.event_data import JsonObject
from imr_live.domain.events import Logged
from imr_live.domain.ids import new_id
from imr_live.domain.recorder import STAFF_ROLES, Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import Role
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput
from imr_live.store.database import Database

PRIVATE_GROUP = "private-talk"
"""The media group of the people in a private talk (one talk per session at a time)."""


@dataclass(frozen=True, slots=True)
class SafetyCheck:
    """What a client said at one join: where they are, a number to call back, a contact."""

    session_id: str
    participant_id: str
    client_ref: str | None
    location: str
    callback: str
    emergency_contact: str | None
    confirmed_at: int
    """µs since the epoch."""

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready view (for staff only)."""
        return {
            "participant": self.participant_id,
            "location": self.location,
            "callback": self.callback,
            "emergency_contact": self.emergency_contact,
            "confirmed_at": self.confirmed_at,
        }


class SafetyChecks:
    """The ``safety_checks`` table."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, check: SafetyCheck) -> None:
        """Keep the latest check of this person in this session."""
        await self.db.execute(
            "INSERT INTO safety_checks (session_id, participant_id, client_ref, location,"
            " callback, emergency_contact, confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id, participant_id) DO UPDATE SET location = excluded.location,"
            " callback = excluded.callback, emergency_contact = excluded.emergency_contact,"
            " confirmed_at = excluded.confirmed_at",
            check.session_id,
            check.participant_id,
            check.client_ref,
            check.location,
            check.callback,
            check.emergency_contact,
            check.confirmed_at,
        )

    async def get(self, session_id: str, participant_id: str) -> SafetyCheck | None:
        """This person's check in this session, if they made one."""
        row = await self.db.fetchrow(
            "SELECT * FROM safety_checks WHERE session_id = ? AND participant_id = ?",
            session_id,
            participant_id,
        )
        return None if row is None else _from_row(row)

    async def of_session(self, session_id: str) -> list[SafetyCheck]:
        """Every check made in a session, in the order they were made."""
        rows = await self.db.fetch(
            "SELECT * FROM safety_checks WHERE session_id = ? ORDER BY confirmed_at",
            session_id,
        )
        return [_from_row(r) for r in rows]

    async def last_time(
        self, session_id: str, participant_id: str, client_ref: str | None
    ) -> SafetyCheck | None:
        """The client's latest earlier check: in any session with the same ``client_ref``,
        or this link's own in this session."""
        if client_ref:
            sql, args = "SELECT * FROM safety_checks WHERE client_ref = ?", [client_ref]
        else:
            sql = "SELECT * FROM safety_checks WHERE session_id = ? AND participant_id = ?"
            args = [session_id, participant_id]
        rows = await self.db.fetch(sql + " ORDER BY confirmed_at DESC LIMIT 1", *args)
        return _from_row(rows[0]) if rows else None

    async def client_ref(self, participant_id: str) -> str | None:
        """The opaque client key of a join link, if the link has one."""
        rows = await self.db.fetch_values(
            "SELECT client_ref FROM invites WHERE id = ?", participant_id
        )
        return rows[0][0] if rows and rows[0][0] else None

    async def audit_push(self, account_ids: list[str], session_id: str, pid: str) -> None:
        """Audit rows for staff shown a client's place and number without asking (help)."""
        for account_id in account_ids:
            await self.db.execute(
                "INSERT INTO audit_log (id, at, account_id, action, target) VALUES (?, ?, ?, ?, ?)",
                new_id("au"),
                now_us(),
                account_id,
                "push.safety_help",
                f"session:{session_id}/participant:{pid}",
            )


def _from_row(row: dict[str, Any]) -> SafetyCheck:
    return SafetyCheck(
        row["session_id"],
        row["participant_id"],
        row["client_ref"],
        row["location"],
        row["callback"],
        row["emergency_contact"],
        int(row["confirmed_at"]),
    )


class Safety:
    """Safety checks at join, the help signal and private talks of one node's sessions."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.checks = SafetyChecks(recorder.sessions.db)
        self.handlers: dict[str, Handler] = {
            "safety.confirm": self.confirm,
            "help.request": self.help,
            "private_talk.start": self.start_talk,
            "private_talk.end": self.end_talk,
        }

    async def confirm(self, seat: Seat, live: LiveSession, cmd: c.ConfirmSafety) -> Logged:
        """Keep where a client is today and their numbers; the log only says it was done."""
        if cmd.same_place == (cmd.location is not None):
            raise InvalidInput("location: say where you are today, or choose the same place")
        pid = seat.participant_id
        ref = await self.checks.client_ref(pid)
        earlier = await self.checks.last_time(seat.session_id, pid, ref)
        location = cmd.location
        if location is None:
            if earlier is None:
                raise Conflict(
                    "we have no earlier place for you; please say where you are",
                    code="no_earlier_place",
                )
            location = earlier.location
        contact = cmd.emergency_contact or (earlier.emergency_contact if earlier else None)
        if contact is None:
            raise InvalidInput(
                "emergency_contact: the first time, please give someone we can call",
                code="emergency_contact_needed",
            )
        check = SafetyCheck(seat.session_id, pid, ref, location, cmd.callback, contact, now_us())
        await self.checks.save(check)
        ev = await self.r.record(live, pid, e.SafetyConfirmed(participant=pid), Audience.STAFF)
        return Logged(seq=ev.seq)

    async def help(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Tell the staff present at once, with the client's place and number (never refused
        for a missing check: the leads then see that they are unknown)."""
        sid, pid = seat.session_id, seat.participant_id
        ev = await self.r.record(live, pid, e.HelpRequested(participant=pid), Audience.STAFF)
        check = await self.checks.get(sid, pid)
        person = live.state.people[pid]
        alert: JsonObject = {
            "seq": ev.seq,
            "at": ev.at,
            "participant": pid,
            "display_name": person.display_name,
            "location": None if check is None else check.location,
            "callback": None if check is None else check.callback,
            "emergency_contact": None if check is None else check.emergency_contact,
        }
        await self.r.fanout.to_staff(sid, "help", alert)
        staff = [p.id for p in live.state.people.values() if p.present and p.role in STAFF_ROLES]
        await self.checks.audit_push(staff, sid, pid)
        return Logged(seq=ev.seq)

    async def start_talk(self, seat: Seat, live: LiveSession, cmd: c.PrivateTalk) -> Logged:
        """Take a client (and a co-leader) into a private media room; the group carries on."""
        if live.state.private_talk:
            raise Conflict("a private talk is already going on; end it first")
        client = self.r.known_person(live, cmd.participant)
        if client.role is not Role.CLIENT or not client.present:
            raise Conflict("that person is not a client in the room")
        members = [seat.participant_id, client.id]
        if cmd.co_leader is not None:
            co = self.r.known_person(live, cmd.co_leader)
            if co.role is not Role.CO_LEADER or not co.present or co.id == seat.participant_id:
                raise Conflict("that person is not another co-leader in the room")
            members.append(co.id)
        if self.r.media is not None:
            await self.r.media.set_group(
                seat.session_id, seat.participant_id, members, PRIVATE_GROUP
            )
        data = e.PrivateTalkStarted(participants=members)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def keep_apart(self, live: LiveSession) -> None:
        """Put the people of a running private talk in their media group (again)."""
        members = live.state.private_talk
        if members and self.r.media is not None:
            await self.r.media.set_group(live.state.session_id, members[0], members, PRIVATE_GROUP)

    async def end_talk(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Bring the people of the private talk back to the group."""
        members = list(live.state.private_talk)
        if not members:
            raise Conflict("no private talk is going on")
        if self.r.media is not None:
            await self.r.media.set_group(seat.session_id, seat.participant_id, members, "")
        data = e.PrivateTalkEnded(participants=members)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)
