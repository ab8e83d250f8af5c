"""Report timings through the real server over a realistic program.

The program: 50 clients in 10 open-enrollment groups, 200 held sessions. Three
clients start each group and two join later (at a session drawn at random), as
IMR groups take new members at the current module. Every session's log is
appended through ``SessionLog`` (hash chain and all) as the live channel would
write it: arrivals, admissions, a drop-out and rejoin now and then, slides, a
role play, hands, chat, home assignments given and reviewed, goals noted and
followed up, IMR scale ratings.

Then ``imr-live serve`` runs on that store in its own process and every review
page, JSON view and export is requested over HTTP as a supervisor; the table
gives the median time of each (whole response read) against the 300 ms target
for one page or export, and the first request's time (the server's cache of
per-session summaries still cold for the first program report). "Export everything" (every client's FHIR bundle, every
CSV) is many requests and is timed as a whole.

    .venv/bin/python bench/reports_bench.py [--postgres [ADMIN_URL]] [--repeat 7]

With ``--postgres`` (default admin URL postgresql://postgres@127.0.0.1:5432/postgres)
it creates a throwaway database and drops it afterwards; otherwise it uses a
SQLite file in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from imr_live.domain.accounts import Accounts
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.roles import StaffRole
from imr_live.domain.sessions import Session, Sessions
from imr_live.reports.certificates import completed_modules
from imr_live.reports.client_report import client_report
from imr_live.reports.records import ReportRecords
from imr_live.store.database import Database, open_database
from imr_live.store.session_log import SessionLog

GROUPS, CLIENTS_PER_GROUP, SESSIONS_PER_GROUP = 10, 5, 20
FOUNDING = 3
"""Clients at each group's first session; the others join later (open enrollment)."""
MODULES = ["recovery-strategies", "practical-facts", "stress-vulnerability-model", "coping"]
TARGET_MS = 300.0
PASSWORD = "bench-password-1"
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"


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
            if self.rng.random() < 0.25:
                items = [self.rng.randint(1, 5) for _ in range(14)]
                await self.add(lead, "scale.recorded", participant=pid, rater="clinician",
                               items=items, total=sum(items))  # fmt: skip
            aid = f"a_{self.rng.getrandbits(40):x}"
            await self.add(lead, "assignment.given", participant=pid, assignment_id=aid,
                           text="Practise the skill twice", ref=None)  # fmt: skip
            carry.setdefault(f"{key}:a", []).append(aid)
            if self.rng.random() < 0.2:
                gid = f"g_{self.rng.getrandbits(40):x}"
                await self.add(lead, "goal.noted", participant=pid, goal_id=gid,
                               goal="Get back to work", short_term=[])  # fmt: skip
                carry.setdefault(f"{key}:g", []).append(gid)


class Program:
    """What the timings need to know about the built program."""

    def __init__(self) -> None:
        self.sessions: list[Session] = []
        self.refs: list[str] = []
        self.certificate = ""
        """Query of one earned certificate."""


async def build(db: Database, seed: int) -> Program:
    """Accounts, sessions, invites and logs of the whole program."""
    rng = random.Random(seed)
    accounts, sessions, links, log = (
        Accounts(db),
        Sessions(db),
        JoinLinks(db, b"x" * 32),
        SessionLog(db),
    )
    supervisor = await accounts.add("supervisor", PASSWORD, StaffRole.SUPERVISOR)
    out = Program()
    for g in range(GROUPS):
        lead = await accounts.add(f"clinician{g}", PASSWORD, StaffRole.CLINICIAN)
        clients = [f"C-{g:02d}{c}" for c in range(CLIENTS_PER_GROUP)]
        late = sorted(rng.sample(range(1, SESSIONS_PER_GROUP), CLIENTS_PER_GROUP - FOUNDING))
        starts = dict(zip(clients, [0] * FOUNDING + late, strict=True))
        out.refs += clients
        carry: dict[str, list[str]] = {}
        for n in range(SESSIONS_PER_GROUP):
            ref = f"{MODULES[n * len(MODULES) // SESSIONS_PER_GROUP]}/{n % 5 + 1}"
            session = await sessions.create(lead, f"Group {g}", "group", None, ref)
            members = [c for c in clients if starts[c] <= n]
            invited = [await links.create(session, lead, "client", 3600, c) for c in members]
            by_invite = {inv.id: inv.client_ref or "" for inv, _token in invited}
            await Writer(log, session, rng).hold(by_invite, carry)
            out.sessions.append(session)
    records = ReportRecords(db, log, sessions)
    for ref in out.refs:
        done = completed_modules(client_report(ref, await records.of_client(ref, supervisor)))
        if done:
            out.certificate = f"/api/reports/clients/{ref}/certificate?kind=module&module={done[0]}"
            break
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def serve(data_dir: Path, url: str | None) -> tuple[subprocess.Popen[bytes], str]:
    """``imr-live serve`` on the built store, in its own process; its base URL once it answers."""
    port = free_port()
    env = {**os.environ, "PORT": str(port), "IMR_DATA_DIR": str(data_dir), "IMR_SFU": "0",
           "IMR_RECORDINGS_DIR": str(data_dir / "recordings")}  # fmt: skip
    env.pop("DATABASE_URL", None)
    if url:
        env["DATABASE_URL"] = url
    command = [str(Path(sys.executable).parent / "imr-live"), "serve"]
    log = (data_dir / "server.log").open("wb")
    proc = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            _reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            return proc, f"http://127.0.0.1:{port}"
        except OSError:
            if proc.poll() is not None:
                break
            await asyncio.sleep(0.1)
    proc.kill()
    raise SystemExit(f"the server did not start; see {data_dir / 'server.log'}")


async def median_ms(fn: Callable[[], Awaitable[object]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


async def fetch(http: aiohttp.ClientSession, path: str) -> int:
    """GET ``path`` and read the whole body; its size."""
    async with http.get(path) as resp:
        body = await resp.read()
        if resp.status != 200:
            raise SystemExit(f"{path}: {resp.status} {body[:200]!r}")
        return len(body)


async def timings(base: str, program: Program, repeat: int, everything_repeat: int) -> None:
    async with aiohttp.ClientSession(base_url=base) as http:
        async with http.post(
            "/api/login", json={"username": "supervisor", "password": PASSWORD}
        ) as resp:
            token = (await resp.json())["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        sid = program.sessions[len(program.sessions) // 2].id
        ref = program.refs[7]
        client = f"/api/reports/clients/{ref}"
        single = {
            "pages": [
                ("timeline page", f"/review/sessions/{sid}"),
                ("attendance page", f"/review/sessions/{sid}/attendance"),
                ("recordings page", f"/review/sessions/{sid}/recordings"),
                ("client page (charts)", f"/review/clients/{ref}"),
                ("program page per clinician (charts)", "/review/program"),
                ("program page per group (charts, joins)", "/review/program?by=title"),
            ],
            "JSON views": [
                ("timeline JSON", f"/api/sessions/{sid}/timeline"),
                ("attendance JSON", f"/api/sessions/{sid}/attendance"),
                ("client JSON", client),
                ("scale JSON", f"{client}/scale"),
                ("program JSON per clinician", "/api/reports/program"),
                ("program JSON per group", "/api/reports/program?by=title"),
                ("joins JSON", "/api/reports/program/joins"),
            ],
            "exports": [
                ("timeline CSV", f"/api/sessions/{sid}/timeline?format=csv"),
                ("attendance CSV", f"/api/sessions/{sid}/attendance?format=csv"),
                ("client CSV", f"{client}?format=csv"),
                ("scale CSV", f"{client}/scale?format=csv"),
                ("program CSV per clinician", "/api/reports/program?format=csv"),
                ("program CSV per group", "/api/reports/program?by=title&format=csv"),
                ("joins CSV", "/api/reports/program/joins?format=csv"),
                ("joins per month CSV", "/api/reports/program/joins?format=csv&rows=months"),
                ("FHIR bundle (1 client)", f"{client}/fhir"),
                ("certificate PDF (module)", program.certificate),
            ],
        }
        print(
            f"{'':44} {'median ms':>10}  {'first ms':>9}  {'bytes':>9}  target {TARGET_MS:.0f} ms"
        )
        for section, items in single.items():
            print(f"-- {section}")
            for name, path in items:
                start = time.perf_counter()
                size = await fetch(http, path)  # the first request: caches cold
                first = (time.perf_counter() - start) * 1000
                ms = await median_ms(lambda p=path: fetch(http, p), repeat)  # type: ignore[misc]
                mark = "PASS" if ms < TARGET_MS else "over"
                print(f"{name:44} {ms:10.1f}  {first:9.1f}  {size:9d}  {mark}")

        bundles = [f"/api/reports/clients/{r}/fhir" for r in program.refs]
        csvs = [
            f"/api/sessions/{s.id}/{k}?format=csv"
            for s in program.sessions
            for k in ("timeline", "attendance")
        ]
        csvs += [
            f"/api/reports/clients/{r}{k}?format=csv" for r in program.refs for k in ("", "/scale")
        ]
        csvs += ["/api/reports/program?format=csv", "/api/reports/program?by=title&format=csv",
                 "/api/reports/program/joins?format=csv", "/api/reports/program/joins?format=csv&rows=months"]  # fmt: skip

        async def every(paths: list[str]) -> None:
            for path in paths:
                await fetch(http, path)

        print(f"-- export everything (median of {everything_repeat}, one request after another)")
        for name, paths in (("all clients' FHIR bundles", bundles), ("all CSVs", csvs),
                            ("everything", bundles + csvs)):  # fmt: skip
            ms = await median_ms(lambda p=paths: every(p), everything_repeat)  # type: ignore[misc]
            label = f"{name} ({len(paths)} requests)"
            print(f"{label:44} {ms:10.1f}  {'':9}  {'':9}  {ms / len(paths):.1f} ms per request")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", nargs="?", const=DEFAULT_PG, default=None,
                        help=f"admin URL (default {DEFAULT_PG}); a throwaway DB is made")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=7, help="requests per page or export")
    parser.add_argument("--everything-repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    name = f"imr_bench_{secrets.token_hex(4)}"
    url = args.postgres.rsplit("/", 1)[0] + f"/{name}" if args.postgres else None
    if args.postgres:
        await admin(args.postgres, f"CREATE DATABASE {name}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await run(Path(tmp), url, args)
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


async def run(data_dir: Path, url: str | None, args: argparse.Namespace) -> None:
    start = time.perf_counter()
    db = await open_database(url, data_dir)
    try:
        program = await build(db, args.seed)
        count = sum([len(await SessionLog(db).read(s.id)) for s in program.sessions])
    finally:
        await db.close()
    engine = "PostgreSQL" if url else "SQLite"
    print(f"{engine}: built {len(program.sessions)} sessions, {count} events, "
          f"{len(program.refs)} clients in {time.perf_counter() - start:.1f} s; "
          f"requests as a supervisor, median of {args.repeat}")  # fmt: skip
    proc, base = await serve(data_dir, url)
    try:
        await timings(base, program, args.repeat, args.everything_repeat)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    asyncio.run(main())
