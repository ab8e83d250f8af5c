"""Kill the server with SIGKILL mid-session: every acknowledged event survives."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from imr_live.store.database import open_database
from imr_live.store.log_settings import LogSettings
from imr_live.store.session_log import SessionLog
from tests.conftest import free_port, truncate
from tests.live.harness import PASSWORD, LiveClient


class Process:
    """``imr-live serve`` as a child process on a free port."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PORT": str(self.port),
            "IMR_DATA_DIR": str(data_dir),
            "SECRET_KEY": "k" * 40,
            "IMR_SFU": "0",
            **extra_env,
        }
        self.proc: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "imr_live.cli", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        async with aiohttp.ClientSession() as http:
            for _ in range(200):
                try:
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("server did not become ready")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)


def add_user(env: dict[str, str], username: str) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "imr_live.cli",
            "user",
            "add",
            username,
            "--role",
            "clinician",
            "--password-stdin",
        ],
        input=f"{PASSWORD}\n".encode(),
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
async def process(tmp_path: Path, database_url: str) -> AsyncIterator[Process]:
    env = {"DATABASE_URL": database_url} if database_url.startswith("postgres") else {}
    if env:
        await truncate(database_url, tmp_path)
    proc = Process(tmp_path / "data", env)
    try:
        yield proc
    finally:
        proc.stop()


async def api(http: aiohttp.ClientSession, method: str, path: str, **kw: Any) -> Any:
    async with http.request(method, path, **kw) as resp:
        assert resp.status < 300, await resp.text()
        return await resp.json()


async def test_sigkill_loses_no_acknowledged_event(process: Process, tmp_path: Path) -> None:
    add_user(process.env, "dana")
    await process.start()
    async with aiohttp.ClientSession(base_url=process.url) as http:
        login = await api(
            http, "POST", "/api/login", json={"username": "dana", "password": PASSWORD}
        )
        http.headers["Authorization"] = f"Bearer {login['token']}"
        session = await api(
            http, "POST", "/api/sessions", json={"title": "Kill test", "format": "group"}
        )
        sid = session["id"]
        tokens = [
            (await api(http, "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}))[
                "token"
            ]
            for _ in range(2)
        ]
    leader = await LiveClient.open(process.url, {"session": sid, "staff_token": login["token"]})
    await leader.ok("join")
    clients = []
    for i, token in enumerate(tokens):
        client = await LiveClient.open(process.url, {"token": token})
        pid = (await client.ok("join", {"display_name": f"C{i}"}))["you"]["id"]
        await leader.ok("waiting.admit", {"participant": pid})
        clients.append(client)
    acked = []
    for i in range(30):
        ack = await clients[i % 2].call("chat.send", {"text": f"message {i}"})
        if ack["ok"]:
            acked.append((ack["seq"], f"message {i}"))
    process.kill()
    for c in [leader, *clients]:
        await c.close()

    await process.start()
    stored, verified = await read_log(process, sid)
    by_seq = {e.seq: e for e in stored}
    for seq, text in acked:
        assert by_seq[seq].data["text"] == text
    assert len(acked) >= 25
    kinds = [e.kind for e in stored]
    # The restarted server marked the people who were in the room as dropped.
    assert kinds.count("participant.dropped") == 3
    assert verified

    # A client comes back by the same link, straight into the room.
    back = await LiveClient.open(process.url, {"token": tokens[0]})
    ack = await back.ok("join", {"display_name": "C0"})
    assert ack["status"] == "admitted"
    await back.close()


async def read_log(process: Process, sid: str) -> tuple[list[Any], bool]:
    """The stored events of a session and whether its chain verifies."""
    data_dir = Path(process.env["IMR_DATA_DIR"])
    settings = LogSettings.from_environment(data_dir, process.env)  # the server's log key
    db = await open_database(process.env.get("DATABASE_URL"), data_dir, log_settings=settings)
    try:
        log = SessionLog(db)
        return await log.read(sid), (await log.verify(sid)).ok
    finally:
        await db.close()
