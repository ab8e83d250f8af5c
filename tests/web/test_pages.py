"""The pages and their small JSON endpoints over plain HTTP (no browser)."""

from __future__ import annotations

import aiohttp

from imr_live.edges.pages_api import JOIN_TOKEN_HEADER
from tests.live.harness import Server


async def test_staff_pages_send_strangers_to_sign_in(server: Server) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:
        for path in ("/", "/staff", "/room/s_nothing"):
            resp = await http.get(path, allow_redirects=False)
            assert resp.status == 302
            assert resp.headers["Location"] in ("/staff", "/login")
        resp = await http.get("/login")
        assert resp.status == 200
        assert "Staff sign in" in await resp.text()


async def test_join_page_never_echoes_its_token(server: Server) -> None:
    staff = await server.staff("dana")
    session = await staff.create_session()
    token = await staff.invite(session["id"])
    async with aiohttp.ClientSession(base_url=server.url) as http:
        resp = await http.get(f"/join/{token}")
        html = await resp.text()
        assert resp.status == 200
        assert "Welcome to Tuesday group" in html
        assert token not in html
        assert resp.headers["Referrer-Policy"] == "no-referrer"
        assert resp.headers["Cache-Control"] == "no-store"


async def test_join_page_explains_a_bad_or_turned_off_link(server: Server) -> None:
    staff = await server.staff("dana")
    session = await staff.create_session()
    token = await staff.invite(session["id"])
    invite_id = token.partition(".")[0]
    await staff.api("DELETE", f"/api/sessions/{session['id']}/invites/{invite_id}")
    async with aiohttp.ClientSession(base_url=server.url) as http:
        turned_off = await (await http.get(f"/join/{token}")).text()
        forged = await (await http.get("/join/p_nothing.forged")).text()
    assert "This link no longer works" in turned_off
    assert "This link does not work" in forged


async def test_leader_gets_the_sessions_slides_and_role_plays(server: Server) -> None:
    staff = await server.staff("dana")
    ref = server.services.scripts.curriculum.session_refs[0]
    session = await staff.create_session(script_ref=ref)
    status, script = await staff.api("GET", f"/api/sessions/{session['id']}/script")
    assert status == 200
    assert script["script_ref"] == ref
    assert [s["index"] for s in script["slides"]] == list(range(len(script["slides"])))
    assert all(s["title"] for s in script["slides"])
    for play in script["role_plays"]:
        assert {"id", "title", "scenario", "roles", "steps"} <= set(play)
    home = server.services.scripts.curriculum.session(ref).home_assignment
    assert script["home_practice"] == {"id": home.id, "text": home.text}

    other = await server.staff("eve")
    status, body = await other.api("GET", f"/api/sessions/{session['id']}/script")
    assert status == 403, body


async def test_session_without_script_has_an_empty_deck(server: Server) -> None:
    staff = await server.staff("dana")
    session = await staff.create_session()
    status, script = await staff.api("GET", f"/api/sessions/{session['id']}/script")
    empty = {
        "script_ref": None,
        "slides": [],
        "role_plays": [],
        "home_practice": None,
        "polls": [],
    }
    assert (status, script) == (200, empty)


async def test_the_imr_scales_are_served_to_anyone_for_the_rating_forms(server: Server) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:  # no sign-in: a client's link
        resp = await http.get("/api/imr-scales")
        body = await resp.json()
    assert resp.status == 200
    assert [i["number"] for i in body["items"]] == list(range(1, 16))
    assert all(len(i["answers"]) == 5 for i in body["items"])
    assert [i["number"] for i in body["items"] if i["does_not_apply"]] == [13]


async def test_network_check_is_small_and_never_cached(server: Server) -> None:
    staff = await server.staff("dana")
    token = await staff.invite((await staff.create_session())["id"])
    async with aiohttp.ClientSession(base_url=server.url) as http:
        resp = await http.get("/api/netcheck", headers={JOIN_TOKEN_HEADER: token})
        body = await resp.read()
    assert resp.status == 200
    assert resp.headers["Cache-Control"] == "no-store"
    assert 10_000 < len(body) < 40_000


async def test_socket_io_client_is_served_as_an_es_module(server: Server) -> None:
    async with aiohttp.ClientSession(base_url=server.url) as http:
        resp = await http.get("/static/vendor/socket.io.esm.min.js")
        text = await resp.text()
    assert resp.status == 200
    assert "export" in text
