"""The network check needs a join link or a staff sign-in and has a budget; /metrics a token."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from imr_live.edges.pages_api import JOIN_TOKEN_HEADER, NETCHECK_BURST
from tests.live.harness import Server, start_server

PATHS = ("/api/netcheck", "/api/netcheck/large")


async def get(server: Server, path: str, headers: dict[str, str] | None = None) -> int:
    """GET ``path``; the status (the body is read and dropped)."""
    async with (
        aiohttp.ClientSession(base_url=server.url) as http,
        http.get(path, headers=headers or {}) as resp,
    ):
        await resp.read()
        return resp.status


@pytest.mark.parametrize("path", PATHS)
async def test_the_network_check_needs_a_join_link_or_a_staff_sign_in(
    server: Server, path: str
) -> None:
    staff = await server.staff("dana")
    sid = (await staff.create_session())["id"]
    token = await staff.invite(sid)
    assert await get(server, path) == 401
    assert await get(server, path, {JOIN_TOKEN_HEADER: token + "x"}) == 401
    assert await get(server, path, {JOIN_TOKEN_HEADER: token}) == 200
    assert await get(server, path, {"Authorization": f"Bearer {staff.token}"}) == 200
    invite_id = token.split(".")[0]
    status, _ = await staff.api("DELETE", f"/api/sessions/{sid}/invites/{invite_id}")
    assert status == 200
    assert await get(server, path, {JOIN_TOKEN_HEADER: token}) == 401


async def test_one_join_link_cannot_pull_the_large_check_without_end(server: Server) -> None:
    staff = await server.staff("dana")
    sid = (await staff.create_session())["id"]
    mine, theirs = await staff.invite(sid), await staff.invite(sid)
    statuses = [
        await get(server, "/api/netcheck/large", {JOIN_TOKEN_HEADER: mine})
        for _ in range(NETCHECK_BURST + 3)
    ]
    # A check is four fetches: a few checks (and a retry) pass, then the link must wait.
    assert statuses[:8] == [200] * 8
    assert statuses[-1] == 429
    assert await get(server, "/api/netcheck/large", {JOIN_TOKEN_HEADER: theirs}) == 200


async def test_metrics_from_loopback_without_a_proxy_need_no_token(server: Server) -> None:
    assert await get(server, "/metrics") == 200
    # Through a proxy on this host (it names the client), loopback is not enough.
    assert await get(server, "/metrics", {"X-Forwarded-For": "203.0.113.9"}) == 403


async def test_metrics_need_the_configured_bearer_token(tmp_path: Path) -> None:
    server = await start_server(tmp_path, metrics_token="scrape-" + "k" * 30)
    try:
        assert await get(server, "/metrics") == 401
        assert await get(server, "/metrics", {"Authorization": "Bearer nope"}) == 401
        good = {"Authorization": "Bearer scrape-" + "k" * 30}
        assert await get(server, "/metrics", good) == 200
    finally:
        await server.stop()
