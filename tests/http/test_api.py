"""The staff HTTP API: sign-in, throttling, sessions and invites."""

from __future__ import annotations

import aiohttp

from imr_live.domain.roles import StaffRole
from tests.live.harness import Server


async def test_wrong_passwords_are_throttled_even_for_the_right_one_after(server: Server) -> None:
    await server.staff("dana")
    async with aiohttp.ClientSession(base_url=server.url) as http:
        codes = []
        for _ in range(6):
            resp = await http.post("/api/login", json={"username": "dana", "password": "wrong"})
            codes.append((resp.status, (await resp.json())["error"]["code"]))
        assert codes[:5] == [(401, "unauthenticated")] * 5
        assert codes[5] == (429, "rate_limited")
        resp = await http.post(
            "/api/login", json={"username": "dana", "password": "correct horse battery"}
        )
        assert resp.status == 429


async def test_only_clinicians_and_admins_create_sessions(server: Server) -> None:
    supervisor = await server.staff("sue", StaffRole.SUPERVISOR)
    status, body = await supervisor.api(
        "POST", "/api/sessions", json={"title": "x", "format": "group"}
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    clinician = await server.staff("dana")
    status, body = await clinician.api(
        "POST", "/api/sessions", json={"title": "x", "format": "triple"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid")


async def test_an_unknown_script_is_refused_when_creating_a_session(server: Server) -> None:
    clinician = await server.staff("dana")
    status, body = await clinician.api(
        "POST", "/api/sessions", json={"title": "x", "format": "group", "script_ref": "nope/9"}
    )
    assert status == 404 and body["error"]["code"] == "not_found"


async def test_invite_links_name_nobody_and_list_without_tokens(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    status, body = await clinician.api(
        "POST", f"/api/sessions/{sid}/invites", json={"role": "supporter"}
    )
    assert status == 201
    assert body["link"].startswith(server.url + "/join/")
    assert "dana" not in body["link"]
    status, listing = await clinician.api("GET", f"/api/sessions/{sid}/invites")
    assert [i["role"] for i in listing["invites"]] == ["supporter"]
    assert body["token"] not in str(listing)
    status, body = await clinician.api(
        "POST", f"/api/sessions/{sid}/invites", json={"role": "leader"}
    )
    assert (status, body["error"]["code"]) == (400, "invalid")


async def test_api_refuses_anonymous_callers(server: Server) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:
        for method, path in [
            ("GET", "/api/sessions"),
            ("POST", "/api/sessions"),
            ("GET", "/api/sessions/s_x/log"),
        ]:
            resp = await http.request(method, path)
            assert resp.status == 401, path


async def test_the_access_log_never_shows_a_join_token(server: Server, caplog) -> None:  # type: ignore[no-untyped-def]
    import logging

    from imr_live.edges.app import RedactingAccessLogger

    logger = logging.getLogger("test.access")
    access = RedactingAccessLogger(logger, "")

    class Req:
        method, path = "GET", "/join/p_abc.SECRETSIG"

    class Resp:
        status = 200

    with caplog.at_level(logging.INFO, logger="test.access"):
        access.log(Req(), Resp(), 0.01)  # type: ignore[arg-type]
    assert "SECRETSIG" not in caplog.text and "/join/<token>" in caplog.text
