"""Slide fan-out latency: one leader changes slides while N clients listen.

Runs our server (``imr-live serve``: one node with SQLite, or two web nodes
sharing PostgreSQL and Redis with the receivers split over them; media off)
and a bare python-socketio broadcast server in the same harness and prints, per N, p50 and
p99 from the leader's emit to receipt at the clients, deliveries per second,
and the ratio to the baseline. Receivers are raw websockets in 2 processes.

    .venv/bin/python bench/live_fanout.py --clients 10,100,300 --reps 3 --nodes 1,2
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from live_receivers import worker

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 123"


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(300):
            try:
                async with http.get(url + "/readyz") as r:
                    if r.status in (200, 404):
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


class Target:
    """A server process to measure."""

    name = ""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def receiver_urls(self) -> list[str]:
        """Where each of the two receiver processes connects."""
        return [self.url, self.url]

    async def stop(self) -> None:
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                print(f"  ({self.name} did not stop within 30 s; killed)", file=sys.stderr)
                self.proc.kill()
                self.proc.wait(10)


class Baseline(Target):
    name = "python-socketio bare broadcast"

    async def start(self, n: int) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "bench/live_baseline_server.py"), str(self.port)]
        )
        await wait_up(self.url)
        leader = socketio.AsyncClient()
        await leader.connect(self.url, transports=["websocket"])
        return leader, [{} for _ in range(n)]

    async def admit(self, leader: socketio.AsyncClient, ids: list[str]) -> None:
        return None


class ImrLive(Target):
    name = "imr-live, 1 node (SQLite FULL)"

    def __init__(self, extra_env: dict[str, str] | None = None, stderr: Path | None = None) -> None:
        super().__init__()
        self.procs: list[subprocess.Popen[bytes]] = []
        self.extra_env = extra_env or {}
        self.stderr = stderr
        """Where the server's log goes (discarded when None)."""
        self.data_dir = Path(tempfile.mkdtemp(prefix="imr-bench-"))

    def env(self, port: int) -> dict[str, str]:
        env = {
            **os.environ,
            "IMR_DATA_DIR": str(self.data_dir),
            "PORT": str(port),
            "IMR_SFU": "0",
            "SECRET_KEY": "b" * 40,
            **self.extra_env,
        }
        for name in ("DATABASE_URL", "REDIS_URL"):
            env.pop(name, None)
        return env

    def launch(self, env: dict[str, str]) -> None:
        with open(self.stderr or os.devnull, "ab") as log:
            self.procs.append(
                subprocess.Popen(
                    [sys.executable, "-m", "imr_live.cli", "serve"],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                )
            )

    async def start(self, n: int) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
        env = self.env(self.port)
        add_leader(env)
        self.launch(env)
        await wait_up(self.url)
        return await open_session(self.url, n)

    async def admit(self, leader: socketio.AsyncClient, ids: list[str]) -> None:
        for pid in ids:  # a leader admitting 300 people meets its own rate limit: wait, retry
            while True:
                ack = await leader.call("waiting.admit", {"participant": pid}, timeout=30)
                if ack["ok"]:
                    break
                if ack["error"]["code"] != "rate_limited":
                    raise RuntimeError(ack)
                await asyncio.sleep(0.1)

    async def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


class ImrLiveTwoNodes(ImrLive):
    name = "imr-live, 2 web nodes (PostgreSQL log, Redis fan-out)"

    def __init__(self) -> None:
        super().__init__()
        self.port_b = free_port()
        self.db = f"imr_bench_{os.getpid()}_{self.port}"

    @property
    def receiver_urls(self) -> list[str]:
        return [self.url, f"http://127.0.0.1:{self.port_b}"]

    def env(self, port: int) -> dict[str, str]:
        env = super().env(port)
        env.update(
            {
                "DATABASE_URL": f"{PG_ADMIN.rsplit('/', 1)[0]}/{self.db}",
                "REDIS_URL": REDIS,
                "IMR_REDIS_PREFIX": f"imr-bench-{self.db}:",
            }
        )
        return env

    async def start(self, n: int) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
        await pg_admin(f"CREATE DATABASE {self.db}")
        env_a, env_b = self.env(self.port), self.env(self.port_b)
        add_leader(env_a)
        self.launch(env_a)
        await wait_up(self.url)
        self.launch(env_b)
        await wait_up(self.receiver_urls[1])
        return await open_session(self.url, n)

    async def stop(self) -> None:
        await super().stop()
        await pg_admin(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")


PG_ADMIN = os.environ.get("IMR_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS = os.environ.get("IMR_TEST_REDIS", "redis://127.0.0.1:6379/0")


async def pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def add_leader(env: dict[str, str]) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "imr_live.cli",
            "user",
            "add",
            "lead",
            "--role",
            "clinician",
            "--password-stdin",
        ],
        input=PASSWORD.encode(),
        env=env,
        check=True,
        capture_output=True,
    )


async def open_session(url: str, n: int) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
    """Sign in, create a session with n client invites, connect and join as leader."""
    async with aiohttp.ClientSession(base_url=url) as http:
        resp = await http.post("/api/login", json={"username": "lead", "password": PASSWORD})
        login = await resp.json()
        http.headers["Authorization"] = f"Bearer {login['token']}"
        body = {"title": "bench", "format": "group", "script_ref": first_script_ref()}
        sid = (await (await http.post("/api/sessions", json=body)).json())["id"]
        auths = []
        for _ in range(n):
            r = await http.post(f"/api/sessions/{sid}/invites", json={"role": "client"})
            auths.append({"token": (await r.json())["token"]})
    leader = socketio.AsyncClient()
    await leader.connect(
        url, auth={"session": sid, "staff_token": login["token"]}, transports=["websocket"]
    )
    await leader.call("join", {})
    return leader, auths


def first_script_ref() -> str:
    from imr_live.curriculum import DEFAULT_SCRIPTS_DIR, load_curriculum

    folder = Path(os.environ.get("IMR_SCRIPTS_DIR") or DEFAULT_SCRIPTS_DIR)
    for module in load_curriculum(folder).modules:
        for session in module.sessions:
            if len(session.slides) >= 2:
                return str(session.ref)
    raise RuntimeError("no script with two slides")


async def run_once(target: Target, n: int, events: int, rate: float) -> dict[str, float]:
    leader, auths = await target.start(n)
    try:
        pipes, procs = [], []
        ctx = mp.get_context("spawn")
        halves = (auths[: n // 2], auths[n // 2 :])
        for part, url in zip(halves, target.receiver_urls, strict=True):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker, args=(url, part, events, child))
            proc.start()
            pipes.append(parent)
            procs.append(proc)
        ids = [pid for p in pipes for pid in await asyncio.to_thread(p.recv)]
        await target.admit(leader, ids)
        await asyncio.sleep(0.5)
        sent = []
        for i in range(events):
            sent.append(time.time())
            ack = await leader.call("slide.show", {"index": i % 2}, timeout=30)
            if not ack["ok"]:
                raise RuntimeError(ack)
            await asyncio.sleep(max(0.0, 1 / rate - (time.time() - sent[-1])))
        results = [r for p in pipes for r in await asyncio.to_thread(p.recv)]
        for proc in procs:
            proc.join(30)
        lat = [(t - sent[j]) * 1000 for r in results for j, (_i, t) in enumerate(r)]
        last = max(t for r in results for _i, t in r)
        delivered = sum(len(r) for r in results)
        q = statistics.quantiles(lat, n=100)
        return {
            "p50": statistics.median(lat),
            "p99": q[98],
            "per_s": delivered / (last - sent[0]),
            "lost": n * events - delivered,
        }
    finally:
        await leader.disconnect()
        await target.stop()


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clients", default="10,100,300")
    ap.add_argument("--events", type=int, default=20)
    ap.add_argument("--rate", type=float, default=4.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--nodes", default="1", help="1, 2 or 1,2: our server as one node and/or two")
    args = ap.parse_args()
    print(
        f"{args.events} slide events at {args.rate}/s, median of {args.reps} runs; "
        "receivers: raw websockets in 2 processes\n"
    )
    print("| clients | target | p50 ms | p99 ms | deliveries/s | lost | p50 ratio | p99 ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for n in [int(x) for x in args.clients.split(",")]:
        medians = {}
        ours = {"1": [ImrLive], "2": [ImrLiveTwoNodes], "1,2": [ImrLive, ImrLiveTwoNodes]}
        for cls in (Baseline, *ours[args.nodes]):
            runs = [await run_once(cls(), n, args.events, args.rate) for _ in range(args.reps)]
            medians[cls.name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        base = medians[Baseline.name]
        for name, m in medians.items():
            print(
                f"| {n} | {name} | {m['p50']:.1f} | {m['p99']:.1f} | {m['per_s']:.0f} | "
                f"{m['lost']:.0f} | {m['p50'] / base['p50']:.2f} | {m['p99'] / base['p99']:.2f} |",
                flush=True,
            )


if __name__ == "__main__":
    asyncio.run(main())
