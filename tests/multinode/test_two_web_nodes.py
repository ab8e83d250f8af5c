"""Two web nodes share sessions through Redis and PostgreSQL; one dies with SIGKILL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.conftest import truncate
from tests.live.harness import PASSWORD, LiveClient
from tests.live.test_durability import Process, add_user, api, read_log


@pytest.fixture
async def nodes(
    tmp_path: Path, pg_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[Process, Process]]:
    await truncate(pg_url, tmp_path)
    env = {"DATABASE_URL": pg_url, "REDIS_URL": redis_url, "IMR_REDIS_PREFIX": redis_prefix}
    a, b = Process(tmp_path / "a", env), Process(tmp_path / "b", env)
    add_user(a.env, "dana")
    await a.start()
    await b.start()
    try:
        yield a, b
    finally:
        a.stop()
        b.stop()


async def set_up(node: Process, clients: int) -> tuple[str, str, list[str], str]:
    async with aiohttp.ClientSession(base_url=node.url) as http:
        login = await api(
            http, "POST", "/api/login", json={"username": "dana", "password": PASSWORD}
        )
        http.headers["Authorization"] = f"Bearer {login['token']}"
        ref = "recovery-strategies/1"
        body = {"title": "Two nodes", "format": "group", "script_ref": ref}
        sid = (await api(http, "POST", "/api/sessions", json=body))["id"]
        tokens = [
            (await api(http, "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}))[
                "token"
            ]
            for _ in range(clients)
        ]
    return sid, login["token"], tokens, ref


async def leader_and_client(node: Process) -> tuple[str, LiveClient, LiveClient, str]:
    """A session on ``node`` with its leader and one admitted client, both connected."""
    sid, staff_token, tokens, _ = await set_up(node, 1)
    leader = await LiveClient.open(node.url, {"session": sid, "staff_token": staff_token})
    await leader.ok("join")
    client = await LiveClient.open(node.url, {"token": tokens[0]})
    return sid, leader, client, await admit(leader, client, "Ann")


async def admit(leader: LiveClient, client: LiveClient, name: str) -> str:
    pid = (await client.ok("join", {"display_name": name}))["you"]["id"]
    await leader.ok("waiting.admit", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "admitted")
    return str(pid)


async def test_a_slide_shown_on_one_node_reaches_clients_on_the_other(
    nodes: tuple[Process, Process],
) -> None:
    a, b = nodes
    sid, staff_token, tokens, _ = await set_up(a, 2)
    leader = await LiveClient.open(a.url, {"session": sid, "staff_token": staff_token})
    await leader.ok("join")
    on_a = await LiveClient.open(a.url, {"token": tokens[0]})
    on_b = await LiveClient.open(b.url, {"token": tokens[1]})
    await admit(leader, on_a, "Ann")
    b_id = await admit(leader, on_b, "Ben")

    await leader.ok("slide.show", {"index": 1})
    for client in (on_a, on_b):
        await client.wait_event("slide.shown", index=1)
    await on_b.ok("hand.raise")
    await leader.wait_event("hand.raised", participant=b_id)
    acked: list[Any] = []
    for i in range(10):
        acked.append((await (on_a if i % 2 else on_b).ok("chat.send", {"text": f"m{i}"}))["seq"])

    # Node A dies. Everyone on it reconnects to B by the same link or login.
    a.kill()
    for c in (leader, on_a):
        await c.close()
    back = await LiveClient.open(b.url, {"token": tokens[0]})
    ack = await back.ok("join", {"display_name": "Ann"})
    assert ack["status"] == "admitted"
    assert ack["state"]["slide"]["index"] == 1
    assert b_id in ack["state"]["hands"]
    leader_b = await LiveClient.open(b.url, {"session": sid, "staff_token": staff_token})
    await leader_b.ok("join")
    await leader_b.ok("slide.show", {"index": 2})
    await on_b.wait_event("slide.shown", index=2)
    await back.wait_event("slide.shown", index=2)

    stored, verified = await read_log(b, sid)
    seqs = {e.seq for e in stored}
    assert set(acked) <= seqs
    assert verified
    assert [e.seq for e in stored] == list(range(1, len(stored) + 1))
    for c in (back, leader_b, on_b):
        await c.close()
