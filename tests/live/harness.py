"""A real IMR Live server on loopback and real Socket.IO clients for tests."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio
from aiohttp import web

from imr_live.config import Config
from imr_live.domain.accounts import Accounts
from imr_live.domain.roles import StaffRole
from imr_live.edges.app import create_app
from imr_live.edges.keys import SERVICES
from imr_live.services import Services
from tests.conftest import free_port

PASSWORD = "correct horse battery"


@dataclass
class Server:
    """A running server and what tests need to drive it."""

    url: str
    app: web.Application
    runner: web.AppRunner
    opened: list[Any] = field(default_factory=list)
    """Clients and HTTP sessions to close before the server stops."""

    async def stop(self) -> None:
        """Close every client first (or aiohttp waits for open websockets), then the server."""
        for thing in reversed(self.opened):
            try:
                await asyncio.wait_for(thing.close(), 10)
            except TimeoutError:
                logging.getLogger("tests").warning("closing %r took over 10 s", thing)
        await asyncio.wait_for(self.runner.cleanup(), 60)

    @property
    def services(self) -> Services:
        return self.app[SERVICES]

    async def staff(self, username: str, role: StaffRole = StaffRole.CLINICIAN) -> Staff:
        """Create a staff account and sign it in."""
        await Accounts(self.services.db).add(username, PASSWORD, role)
        http = aiohttp.ClientSession(base_url=self.url)
        self.opened.append(http)
        resp = await http.post("/api/login", json={"username": username, "password": PASSWORD})
        body = await resp.json()
        assert resp.status == 200, body
        http.headers["Authorization"] = f"Bearer {body['token']}"
        return Staff(self, http, body["account"]["id"], body["token"])


@dataclass
class Staff:
    """A signed-in staff member with an HTTP session."""

    server: Server
    http: aiohttp.ClientSession
    id: str
    token: str

    async def api(self, method: str, path: str, **kw: Any) -> tuple[int, Any]:
        resp = await self.http.request(method, path, **kw)
        return resp.status, await resp.json()

    async def create_session(self, **body: Any) -> dict[str, Any]:
        body.setdefault("title", "Tuesday group")
        body.setdefault("format", "group")
        status, data = await self.api("POST", "/api/sessions", json=body)
        assert status == 201, data
        return dict(data)

    async def invite(self, session_id: str, role: str = "client", **extra: Any) -> str:
        status, data = await self.api(
            "POST", f"/api/sessions/{session_id}/invites", json={"role": role, **extra}
        )
        assert status == 201, data
        return str(data["token"])

    async def connect(self, session_id: str) -> LiveClient:
        client = await LiveClient.open(
            self.server.url, {"session": session_id, "staff_token": self.token}
        )
        self.server.opened.append(client)
        return client

    async def close(self) -> None:
        await self.http.close()


@dataclass
class LiveClient:
    """A Socket.IO client that records everything the server sends it."""

    sio: socketio.AsyncClient
    received: list[tuple[str, Any]] = field(default_factory=list)
    listeners: list[Callable[[str, Any], None]] = field(default_factory=list)
    """Called with every message as it arrives (e.g. to hand media offers to a peer)."""
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @classmethod
    async def open(cls, url: str, auth: dict[str, Any]) -> LiveClient:
        sio = socketio.AsyncClient(reconnection=False)
        client = cls(sio)
        sio.on("*", client._record)
        await sio.connect(url, auth=auth, transports=["websocket"], wait_timeout=10)
        return client

    async def _record(self, name: str, data: Any = None) -> None:
        self.received.append((name, data))
        for listener in self.listeners:
            listener(name, data)
        self._changed.set()

    async def call(self, event: str, data: Any = None) -> dict[str, Any]:
        """Send an event and return its ack."""
        ack: dict[str, Any] = await self.sio.call(event, data, timeout=10)
        return ack

    async def ok(self, event: str, data: Any = None) -> dict[str, Any]:
        """Send an event that must succeed."""
        ack = await self.call(event, data)
        assert ack.get("ok"), (event, ack)
        return ack

    def events(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Logged events received so far (optionally of one kind)."""
        found = [d for n, d in self.received if n == "event"]
        return [e for e in found if kind is None or e["kind"] == kind]

    async def wait_for(self, match: Callable[[str, Any], bool], timeout: float = 10) -> Any:
        """Wait until a received message matches; return its data."""
        async with asyncio.timeout(timeout):
            while True:
                for name, data in self.received:
                    if match(name, data):
                        return data
                self._changed.clear()
                await self._changed.wait()

    async def wait_event(self, kind: str, timeout: float = 10, **data: Any) -> dict[str, Any]:
        """Wait for a logged event of ``kind`` whose data contains ``data``."""

        def match(name: str, payload: Any) -> bool:
            return (
                name == "event"
                and payload["kind"] == kind
                and all(payload["data"].get(k) == v for k, v in data.items())
            )

        result: dict[str, Any] = await self.wait_for(match, timeout)
        return result

    async def close(self) -> None:
        if self.sio.connected:
            await self.sio.disconnect()


async def guest(server: Server, token: str) -> LiveClient:
    """A guest connected with a join-link token."""
    client = await LiveClient.open(server.url, {"token": token})
    server.opened.append(client)
    return client


async def start_server(tmp_path: Path, scripts: Any = None, **config: Any) -> Server:
    """Run create_app on a free loopback port (or ``port``: a restart where it ran)."""
    port = config.pop("port", 0) or free_port()
    config.setdefault("sfu", False)
    cfg = Config(
        port=port,
        data_dir=tmp_path / "data",
        secret_key="test-secret-" + "x" * 32,
        recordings_dir=tmp_path / "recordings",
        **config,
    )
    app = create_app(cfg, scripts)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Server(f"http://127.0.0.1:{port}", app, runner)
