"""Report timings over a realistic program: 50 clients, 10 groups, 200 held sessions.

Every session's log is appended through ``SessionLog`` (hash chain and all), as
the live channel would write it: arrivals, admissions, a drop-out and rejoin now
and then, slides, a role play, hands, chat, home assignments given and reviewed,
goals noted and followed up. Then each report is run several times and the
median printed.

    .venv/bin/python bench/reports_bench.py [--postgres postgresql://postgres@host/db] [--repeat 7]

With ``--postgres`` (an admin URL) it creates a throwaway database next to the
one named and drops it afterwards; otherwise it uses a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import secrets
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg

from imr_live.domain.accounts import Account, Accounts
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.roles import StaffRole
from imr_live.domain.sessions import Session, Sessions
from imr_live.reports.attendance import attendance
from imr_live.reports.client_report import client_report
from imr_live.reports.program import program
from imr_live.reports.records import ReportRecords
from imr_live.reports.timeline import timeline
from imr_live.store.database import Database, open_database
from imr_live.store.session_log import SessionLog

GROUPS, CLIENTS_PER_GROUP, SESSIONS_PER_GROUP = 10, 5, 20
MODULES = ["recovery-strategies", "practical-facts", "stress-vulnerability-model", "coping"]


class Writer:
    """Appends one session's events through the log, as the live channel would."""

    def __init__(self, log: SessionLog, session: Session, rng: random.Random) -> None:
        self.log, self.session, self.rng = log, session, rng
        self.refs: dict[str, str] = {}

    async def add(self, actor: str, kind: str, **data: Any) -> dict[str, Any]:
        event = await self.log.append(self.session.id, actor, kind, data)
        return event.data

    async def hold(self, clients: dict[str, str], carry: dict[str, list[str]]) -> None:
        """One group session from start to end (``clients``: invite id -> client_ref)."""
        lead = self.session.leader_id
        await self.add(lead, "session.started")
        await self.add(lead, "participant.joined", participant=lead, role="leader",
                       display_name="Leader", waiting=False)  # fmt: skip
        self.refs = clients
        here = [p for p in clients if self.rng.random() > 0.2]
        for pid in here:
            await self.arrive(pid)
        await self.teach(lead, here)
        await self.follow_up(lead, here, carry)
        await self.add(lead, "session.ended")

    async def arrive(self, pid: str) -> None:
        lead = self.session.leader_id
        await self.add(pid, "participant.joined", participant=pid, role="client",
                       display_name=f"Client {pid[-4:]}", waiting=True)  # fmt: skip
        await self.add(lead, "participant.admitted", participant=pid)
        if self.rng.random() < 0.15:
            await self.add(pid, "participant.dropped", participant=pid, reason="disconnected")
            await self.add(pid, "participant.rejoined", participant=pid)

    async def teach(self, lead: str, here: list[str]) -> None:
        for index in range(10):
            await self.add(lead, "slide.shown", deck=self.session.script_ref, slide_id=f"s{index}",
                           index=index, count=10)  # fmt: skip
            if here and self.rng.random() < 0.4:
                pid = self.rng.choice(here)
                await self.add(pid, "hand.raised", participant=pid)
                await self.add(pid, "chat.sent", text="A question about this slide")
                await self.add(lead, "hand.lowered", participant=pid)
        if here:
            cast = {"client": here[0], "leader": lead}
            await self.add(lead, "roleplay.started", id=None, title="Asking for help",
                           scenario="...", roles=[], steps=[], cast=cast)  # fmt: skip
            await self.add(lead, "roleplay.ended")

    async def follow_up(self, lead: str, here: list[str], carry: dict[str, list[str]]) -> None:
        """Review last time's assignments, update goals, give new ones."""
        for pid in here:
            key = self.refs[pid]
            for aid in carry.pop(f"{key}:a", []):
                await self.add(lead, "assignment.reviewed", participant=pid, assignment_id=aid,
                               done=self.rng.random() < 0.6, note=None)  # fmt: skip
            for gid in carry.get(f"{key}:g", []):
                await self.add(lead, "goal.updated", participant=pid, goal_id=gid,
                               status=self.rng.choice(["in_progress", "achieved"]), note=None)  # fmt: skip
            aid = f"a_{self.rng.getrandbits(40):x}"
            await self.add(lead, "assignment.given", participant=pid, assignment_id=aid,
                           text="Practise the skill twice", ref=None)  # fmt: skip
            carry.setdefault(f"{key}:a", []).append(aid)
            if self.rng.random() < 0.2:
                gid = f"g_{self.rng.getrandbits(40):x}"
                await self.add(lead, "goal.noted", participant=pid, goal_id=gid,
                               goal="Get back to work", short_term=[])  # fmt: skip
                carry.setdefault(f"{key}:g", []).append(gid)


async def build(db: Database, seed: int) -> tuple[Account, list[Session], list[str]]:
    """Accounts, sessions, invites and logs of the whole program."""
    rng = random.Random(seed)
    accounts, sessions, links, log = (
        Accounts(db),
        Sessions(db),
        JoinLinks(db, b"x" * 32),
        SessionLog(db),
    )
    supervisor = await accounts.add("supervisor", "bench-password-1", StaffRole.SUPERVISOR)
    all_sessions, refs = [], []
    for g in range(GROUPS):
        lead = await accounts.add(f"clinician{g}", "bench-password-1", StaffRole.CLINICIAN)
        clients = [f"C-{g:02d}{c}" for c in range(CLIENTS_PER_GROUP)]
        refs += clients
        carry: dict[str, list[str]] = {}
        for n in range(SESSIONS_PER_GROUP):
            ref = f"{MODULES[n * len(MODULES) // SESSIONS_PER_GROUP]}/{n % 5 + 1}"
            session = await sessions.create(lead, f"Group {g}", "group", None, ref)
            invited = [await links.create(session, lead, "client", 3600, c) for c in clients]
            by_invite = {inv.id: inv.client_ref or "" for inv, _token in invited}
            await Writer(log, session, rng).hold(by_invite, carry)
            all_sessions.append(session)
    return supervisor, all_sessions, refs


async def median_ms(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=None, help="admin URL; a throwaway DB is made")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    name = f"imr_bench_{secrets.token_hex(4)}"
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}" if args.postgres else None
    if args.postgres:
        await admin(args.postgres, f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = await open_database(url, Path(tmp))
            try:
                await run(db, args.repeat, args.seed)
            finally:
                await db.close()
    finally:
        if args.postgres:
            await admin(args.postgres, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


async def admin(url: str, sql: str) -> None:
    """Run one statement on the admin connection."""
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def run(db: Database, repeat: int, seed: int) -> None:
    start = time.perf_counter()
    supervisor, sessions, refs = await build(db, seed)
    log = SessionLog(db)
    count = sum([len(await log.read(s.id)) for s in sessions])
    print(f"built {len(sessions)} sessions, {count} events, {len(refs)} clients "
          f"in {time.perf_counter() - start:.1f} s")  # fmt: skip
    records = ReportRecords(db, log, Sessions(db), JoinLinks(db, b"x" * 32))
    one = sessions[len(sessions) // 2]

    async def one_timeline() -> object:
        return timeline(await log.read(one.id))

    async def one_attendance() -> object:
        record = await records.record(one)
        return attendance(one, record.events, record.client_refs())

    async def one_client() -> object:
        return client_report(refs[7], await records.of_client(refs[7], supervisor))

    async def whole_program() -> object:
        return program(await records.visible_to(supervisor), "leader", await records.usernames())

    _rows, total = program(await records.visible_to(supervisor))
    figures = client_report(refs[7], await records.of_client(refs[7], supervisor)).figures()
    print(f"program: attendance rate {total.as_dict()['attendance_rate']}, "
          f"fidelity {total.as_dict()['fidelity_share']}")  # fmt: skip
    print(f"client {refs[7]}: {figures}")
    for name, fn in [("timeline (1 session)", one_timeline), ("attendance (1 session)", one_attendance),
                     ("client report (20 sessions)", one_client),
                     ("program (200 sessions)", whole_program)]:  # fmt: skip
        print(f"{name:32} median {await median_ms(fn, repeat):8.1f} ms")


if __name__ == "__main__":
    asyncio.run(main())
