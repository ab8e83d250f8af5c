"""Fuzz the live channel: every catalogued command as every role, generated payloads (issue 12).

One ``imr-live serve`` (SQLite, in-process SFU so ``media`` reaches it) runs as a
subprocess with its log read from stderr; the rate limits are raised so that
events reach the handlers (the flood limits have their own bench,
bench/live_flood.py). Seven raw Engine.IO websockets, one per session role,
send ``--events`` events one at a time: a command of ``COMMANDS`` and a role
drawn uniformly, a payload generated from the command's JSON schema (valid,
with ids of people, goals, assignments, slides and role plays in the room mixed
in so handlers go past their lookups; or mutated: a field dropped, added,
retyped, too long, deeply nested). Prints acks by code, tracebacks and error
lines in the server log, refused events after which the log had grown, every
chain verified with ``imr-live log verify``, and whether a fresh client still
joins and is shown the current slide. Inputs that got ``internal`` or wrote a
traceback, got no ack, or were refused after changing the log are kept in
tests/live/fuzz_regressions.json.

    .venv/bin/python bench/live_fuzz.py --events 100000 --seed 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_fanout import PASSWORD, ROOT, ImrLive, first_script_ref

from imr_live.curriculum import DEFAULT_SCRIPTS_DIR, load_curriculum
from imr_live.domain.events import COMMANDS
from imr_live.domain.roles import Role
from tests.live.fuzz import Known, Payloads
from tests.live.raw_socket import RawSocket

REGRESSIONS = ROOT / "tests/live/fuzz_regressions.json"
GUEST_ROLES = (Role.CO_LEADER, Role.CLIENT, Role.SUPPORTER, Role.GUEST_SPEAKER, Role.OBSERVER)
RAISED_LIMITS = {
    "IMR_EVENTS_PER_SECOND": "100000",
    "IMR_EVENT_BURST": "100000",
    "IMR_CONNECTS_PER_MINUTE": "100000",
}
ACK_TIMEOUT_S = 30
GONE = ("removed", "link_revoked", "link_expired", "not_joined", "not_admitted")
"""Refusals after which the sender's seat is replaced before it sends again."""


# --- payloads from the catalogue's JSON schemas ---


# --- the room: one raw socket per role ---


class FuzzSocket:
    """A raw socket whose frames are read as they come: acks matched, pings answered."""

    def __init__(self, raw: RawSocket, pid: str) -> None:
        self.raw = raw
        self.pid = pid
        self.next_id = 1
        self.acks: dict[int, asyncio.Future[Any]] = {}
        self.closed_reason: str | None = None
        self.admitted = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    @property
    def alive(self) -> bool:
        return not self.reader.done()

    async def _read(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            while True:
                frame = await self.raw.recv(timeout=3600)
                if frame.startswith("43"):
                    at = frame.index("[")
                    future = self.acks.pop(int(frame[2:at]), None)
                    if future is not None and not future.done():
                        future.set_result(json.loads(frame[at:])[0])
                elif frame.startswith('42["admitted"'):
                    self.admitted.set()
                elif frame.startswith('42["closed"'):
                    self.closed_reason = json.loads(frame[2:])[1].get("reason")
                elif frame in ("1", "41"):  # transport closed, or the server left the namespace
                    break
        for future in self.acks.values():
            if not future.done():
                future.set_result(None)

    async def call(self, event: str, payload: Any) -> Any:
        """Send one event and return its ack (None when the socket closed first)."""
        ack_id, self.next_id = self.next_id, self.next_id + 1
        future = asyncio.get_running_loop().create_future()
        self.acks[ack_id] = future
        try:
            await self.raw.send(f"42{ack_id}" + json.dumps([event, payload]))
        except websockets.ConnectionClosed:
            return None
        return await asyncio.wait_for(future, ACK_TIMEOUT_S)

    async def close(self) -> None:
        await self.raw.close()
        await asyncio.gather(self.reader, return_exceptions=True)


async def open_socket(url: str, auth: dict[str, Any]) -> tuple[FuzzSocket, str]:
    """Connect and join (the caller admits guests): the socket and the join's ack code."""
    raw = await RawSocket.open(url, auth)
    sock = FuzzSocket(raw, "")
    welcome = await sock.call("join", {"display_name": "Fuzz"})
    if not welcome or not welcome.get("ok"):
        return sock, welcome["error"]["code"] if welcome else "closed"
    sock.pid = welcome["you"]["id"]
    if welcome["status"] == "admitted":
        sock.admitted.set()
    return sock, "ok"


class Room:
    """A session with one connection per role, replaced when refused out of the room."""

    def __init__(self, url: str, http: aiohttp.ClientSession, tokens: dict[str, str]) -> None:
        self.url = url
        self.http = http
        self.tokens = tokens
        self.session_id = ""
        self.sockets: dict[Role, FuzzSocket] = {}
        self.invites: dict[Role, str] = {}
        self.sessions: list[str] = []
        self.shown: tuple[str, int] | None = None
        """The slide the last accepted ``slide.show`` put up in this session."""

    async def new_session(self, known: Known) -> None:
        """A fresh session (the last one ended): everyone reconnects."""
        for sock in self.sockets.values():
            await sock.close()
        self.sockets.clear()
        self.invites.clear()
        body = {"title": "fuzz", "format": "group", "script_ref": first_script_ref()}
        async with self.http.post("/api/sessions", json=body, headers=self._lead()) as r:
            self.session_id = (await r.json())["id"]
        self.sessions.append(self.session_id)
        self.shown = None
        known.people.clear()
        known.assignments.clear()
        known.goals.clear()
        for role in Role:
            await self.seat(role, known)

    def _lead(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens['lead']}"}

    async def invite(self, role: Role) -> str:
        url = f"/api/sessions/{self.session_id}/invites"
        async with self.http.post(url, json={"role": role.value}, headers=self._lead()) as r:
            return str((await r.json())["token"])

    async def seat(self, role: Role, known: Known, new_link: bool = False) -> FuzzSocket:
        """(Re)connect the connection of ``role``; a guest removed gets a new link."""
        old = self.sockets.pop(role, None)
        if old is not None:
            await old.close()
        if role in (Role.LEADER, Role.SUPERVISOR):
            staff = "lead" if role is Role.LEADER else "sup"
            auth = {"session": self.session_id, "staff_token": self.tokens[staff]}
        else:
            if new_link or role not in self.invites:
                self.invites[role] = await self.invite(role)
            auth = {"token": self.invites[role]}
        sock, code = await open_socket(self.url, auth)
        if code == "locked":  # the fuzzer locked the session: the leader opens it again
            await sock.close()
            leader = await self.leader(known)
            await leader.call("join", {})  # back in the room if the fuzzer made it leave
            await leader.call("session.lock", {"locked": False})
            sock, code = await open_socket(self.url, auth)
        if code != "ok":
            raise RuntimeError(f"{role.value} cannot join: {code}")
        self.sockets[role] = sock
        if sock.pid not in known.people:
            known.people.append(sock.pid)
        if not sock.admitted.is_set():
            leader = await self.leader(known)
            await leader.call("join", {})  # back in the room if the fuzzer made it leave
            ack = await leader.call("waiting.admit", {"participant": sock.pid})
            if not ack or not ack.get("ok"):
                raise RuntimeError(f"{role.value} not admitted: {ack}")
            await asyncio.wait_for(sock.admitted.wait(), 10)
        return sock

    async def leader(self, known: Known) -> FuzzSocket:
        """The leader's connection, reconnected if it closed."""
        sock = self.sockets.get(Role.LEADER)
        if sock is None or not sock.alive:
            sock = await self.seat(Role.LEADER, known)
        return sock


# --- the run ---


@dataclass
class Tally:
    """What the fuzzer saw."""

    codes: Counter[str] = field(default_factory=Counter)
    by_command: Counter[tuple[str, str]] = field(default_factory=Counter)
    refused_changed: list[dict[str, Any]] = field(default_factory=list)
    crashes: list[dict[str, Any]] = field(default_factory=list)
    hangs: list[dict[str, Any]] = field(default_factory=list)
    """Events not acknowledged within ACK_TIMEOUT_S (the session is replaced after one)."""
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=6))
    """The last events sent, kept with a hang: one of them may have frozen the session."""


class ServerLog:
    """The server's stderr, read as it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = path.open("rb")
        self.tracebacks = 0
        self.errors = 0

    def new(self) -> str:
        """What the server wrote since the last call (tracebacks and ERROR lines counted)."""
        text = self.file.read().decode(errors="replace")
        self.tracebacks += text.count("Traceback (most recent call last)")
        self.errors += sum(1 for line in text.splitlines() if " ERROR " in line)
        return text


def log_rows(db: sqlite3.Connection, session_id: str) -> int:
    return int(
        db.execute(
            "SELECT COUNT(*) FROM session_log WHERE session_id = ?", (session_id,)
        ).fetchone()[0]
    )


def new_rows(db: sqlite3.Connection, session_id: str, after: int) -> list[tuple[str, str]]:
    return list(
        db.execute(
            "SELECT actor, kind FROM session_log WHERE session_id = ? AND seq > ? ORDER BY seq",
            (session_id, after),
        )
    )


def curriculum_ids(known: Known) -> None:
    """Script refs, slide ids and role-play ids of the shipped curriculum."""
    for module in load_curriculum(DEFAULT_SCRIPTS_DIR).modules:
        for session in module.sessions:
            known.refs.append(str(session.ref))
            known.slides += [s.id for s in session.slides]
            known.role_plays += [r.id for r in session.role_plays]


async def fuzz(args: argparse.Namespace, target: ImrLive, server_log: ServerLog) -> None:
    rng = random.Random(args.seed)
    known = Known()
    curriculum_ids(known)
    payloads = Payloads(rng, known)
    schemas = {name: spec.payload.model_json_schema() for name, spec in COMMANDS.items()}
    weights = [0.05 if name == "session.end" else 1.0 for name in COMMANDS]
    tally = Tally()
    async with aiohttp.ClientSession(base_url=target.url) as http:
        tokens = {}
        for user in ("lead", "sup"):
            r = await http.post("/api/login", json={"username": user, "password": PASSWORD})
            tokens[user] = (await r.json())["token"]
        room = Room(target.url, http, tokens)
        await room.new_session(known)
        db = sqlite3.connect(f"file:{target.data_dir / 'imr-live.sqlite3'}?mode=ro", uri=True)
        started = time.perf_counter()
        for n in range(args.events):
            name = rng.choices(list(COMMANDS), weights)[0]
            role = rng.choice(list(Role))
            valid = rng.random() < args.valid_share
            payload = payloads.valid(schemas[name]) if valid else payloads.mutated(schemas[name])
            await one_event(room, known, tally, db, server_log, name, role, payload)
            if n and n % 10_000 == 0:
                rate = n / (time.perf_counter() - started)
                print(f"  {n} events, {rate:.0f}/s, {len(room.sessions)} sessions", flush=True)
        elapsed = time.perf_counter() - started
        fresh = await fresh_client_sees_slide(room, known)
        for sock in room.sockets.values():
            await sock.close()
    await asyncio.sleep(1.0)  # the closes are logged
    verified = verify_chains(target, room.sessions)
    report(args, tally, elapsed, room, fresh, verified, server_log)


async def one_event(
    room: Room,
    known: Known,
    tally: Tally,
    db: sqlite3.Connection,
    server_log: ServerLog,
    name: str,
    role: Role,
    payload: Any,
) -> None:
    """Send one event as ``role``; count its ack, the log and the server's stderr around it."""
    sock = room.sockets.get(role)
    if sock is None or not sock.alive:
        try:
            sock = await room.seat(role, known, new_link=True)
        except RuntimeError as exc:
            print(f"  {exc}: a new session", flush=True)
            tally.codes["(seat lost: new session)"] += 1
            await room.new_session(known)
            sock = room.sockets[role]
    session_id = room.session_id
    rows = log_rows(db, session_id)
    server_log.new()
    try:
        ack = await sock.call(name, payload)
    except TimeoutError:
        hang = {
            "event": name,
            "role": role.value,
            "payload": payload,
            "ack": "none in 30 s",
            "before": list(tally.recent),
        }
        print(f"  no ack: {hang} (log: {server_log.new()[-300:]!r})", flush=True)
        tally.codes["no ack in 30 s"] += 1
        tally.hangs.append(hang)
        await room.new_session(known)
        return
    code = "no ack (closed)" if ack is None else "ok" if ack.get("ok") else ack["error"]["code"]
    tally.codes[code] += 1
    tally.recent.append({"event": name, "role": role.value, "payload": payload, "ack": code})
    tally.by_command[(name, code)] += 1
    wrote = server_log.new()
    if code == "internal" or "Traceback" in wrote:
        tally.crashes.append(
            {
                "event": name,
                "role": role.value,
                "payload": payload,
                "ack": ack,
                "log": wrote[-2000:],
            }
        )
    if ack is not None and not ack.get("ok"):
        added = new_rows(db, session_id, rows)
        if added:
            tally.refused_changed.append(
                {
                    "event": name,
                    "role": role.value,
                    "code": code,
                    "payload": payload,
                    "sender": sock.pid,
                    "rows": added,
                }
            )
    if ack is not None and ack.get("ok"):
        remember(room, known, name, ack)
    if code == "session_ended" or (name == "session.end" and code == "ok"):
        await room.new_session(known)
    elif code in GONE or not sock.alive:
        try:
            await room.seat(role, known, new_link=code in GONE[:2] or not sock.alive)
        except RuntimeError as exc:  # e.g. the fuzzer locked the room and its leader left it
            print(f"  {exc}: a new session", flush=True)
            tally.codes["(seat lost: new session)"] += 1
            await room.new_session(known)


def remember(room: Room, known: Known, name: str, ack: dict[str, Any]) -> None:
    """Ids an accepted event created, and the slide on screen."""
    if "assignment_id" in ack:
        known.assignments.append(ack["assignment_id"])
    if "goal_id" in ack:
        known.goals.append(ack["goal_id"])
    if name == "slide.show":
        room.shown = (ack["slide_id"], ack["index"])


async def fresh_client_sees_slide(room: Room, known: Known) -> str:
    """A new client joins the room as it is now; the slide they are shown is the last one put up."""
    leader = await room.leader(known)
    await leader.call("session.lock", {"locked": False})
    token = await room.invite(Role.CLIENT)
    raw = await RawSocket.open(room.url, {"token": token})
    await raw.send('420["join",{"display_name":"Fresh"}]')
    pid = (await raw.ack(0))["you"]["id"]
    await leader.call("waiting.admit", {"participant": pid})
    async with asyncio.timeout(10):
        while not (frame := await raw.recv()).startswith('42["admitted"'):
            pass
    state = json.loads(frame[2:])[1]["state"]
    await raw.close()
    slide = state.get("slide")
    seen = None if slide is None else (slide["slide_id"], slide["index"])
    ok = seen == room.shown
    return f"{'yes' if ok else 'NO'} (shown {seen}, last put up {room.shown})"


def verify_chains(target: ImrLive, sessions: list[str]) -> Counter[str]:
    """``imr-live log verify`` on every session the run used."""
    env = target.env(target.port)
    results: Counter[str] = Counter()
    for session_id in sessions:
        done = subprocess.run(
            [sys.executable, "-m", "imr_live.cli", "log", "verify", session_id],
            env=env,
            capture_output=True,
            text=True,
        )
        results["ok" if done.returncode == 0 else "BROKEN"] += 1
    return results


def report(
    args: argparse.Namespace,
    tally: Tally,
    elapsed: float,
    room: Room,
    fresh: str,
    verified: Counter[str],
    server_log: ServerLog,
) -> None:
    server_log.new()
    print(
        f"\n{args.events} events in {elapsed:.0f} s ({args.events / elapsed:.0f}/s), "
        f"seed {args.seed}, {args.valid_share:.0%} schema-valid payloads, "
        f"{len(room.sessions)} sessions\n"
    )
    print("| ack | count |\n|---|---|")
    for code, count in tally.codes.most_common():
        print(f"| {code} | {count} |")
    size = server_log.file.tell()
    print(
        f"\nserver log: {server_log.tracebacks} tracebacks, {server_log.errors} ERROR lines, "
        f"{size} bytes"
    )
    print(f"crash inputs (internal ack or traceback): {len(tally.crashes)}")
    print(f"refused events after which the log grew: {len(tally.refused_changed)}")
    grouped = Counter((c["event"], c["code"]) for c in tally.refused_changed)
    for (event, code), count in grouped.most_common():
        print(f"  {event} -> {code}: {count}")
    print(f"chains verified: {dict(verified)}")
    print(f"fresh client joins and sees the current slide: {fresh}")
    accepted = sorted({name for (name, code) in tally.by_command if code == "ok"})
    never = sorted(set(COMMANDS) - set(accepted))
    print(f"commands accepted at least once: {len(accepted)} of {len(COMMANDS)}; never: {never}")
    print(f"events never acknowledged (session frozen): {len(tally.hangs)}")
    logged = [{**c, "kind": "refused_changed_log"} for c in tally.refused_changed]
    if tally.crashes or tally.hangs or logged:
        keep_crashes(tally.crashes + tally.hangs + logged)


def keep_crashes(crashes: list[dict[str, Any]]) -> None:
    """Add new crash inputs to the regression file (one per event, role and first log line)."""
    kept = json.loads(REGRESSIONS.read_text()) if REGRESSIONS.exists() else []
    seen = {(c["event"], c["role"], json.dumps(c["payload"], sort_keys=True)) for c in kept}
    for crash in crashes:
        key = (crash["event"], crash["role"], json.dumps(crash["payload"], sort_keys=True))
        if key not in seen:
            seen.add(key)
            kept.append(crash)
    REGRESSIONS.write_text(json.dumps(kept, indent=1, ensure_ascii=False) + "\n")
    print(f"crash inputs kept in {REGRESSIONS.relative_to(ROOT)} ({len(kept)} in all)")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--valid-share", type=float, default=0.7, help="share of schema-valid payloads")
    args = ap.parse_args()
    stderr = Path(tempfile.mkstemp(prefix="imr-fuzz-", suffix=".log")[1])
    target = ImrLive({**RAISED_LIMITS, "IMR_SFU": "1"}, stderr)
    leader, _ = await target.start(0)
    await leader.disconnect()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "imr_live.cli",
            "user",
            "add",
            "sup",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        input=PASSWORD.encode(),
        env=target.env(target.port),
        check=True,
        capture_output=True,
    )
    try:
        await fuzz(args, target, ServerLog(stderr))
    finally:
        await target.stop()
    print(f"server log: {stderr}")


if __name__ == "__main__":
    asyncio.run(main())
