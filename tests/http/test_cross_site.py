"""Cross-site requests: a signed-in clinician's cookie does nothing for a page on another origin."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import async_playwright, expect

from imr_live.edges.live_socket import STAFF_COOKIE
from tests.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.conftest import free_port
from tests.live.harness import Server
from tests.web.people import clinician_signs_in, create_session, new_page

NEW_SESSION = {"title": "Forged", "format": "group"}


async def session_count(server: Server) -> int:
    """Sessions stored, whoever made them."""
    return len(await server.services.db.fetch("SELECT id FROM sessions"))


async def cookie_post(
    server: Server, token: str, headers: dict[str, str], **kw: Any
) -> tuple[int, Any]:
    """POST /api/sessions the way a browser would: the staff cookie, not a bearer token."""
    async with (
        aiohttp.ClientSession(base_url=server.url) as http,
        http.post(
            "/api/sessions", headers={"Cookie": f"{STAFF_COOKIE}={token}", **headers}, **kw
        ) as resp,
    ):
        return resp.status, await resp.json()


@pytest.fixture
async def other_origin() -> AsyncIterator[str]:
    """The origin of another port on the same host (nothing is served there)."""
    yield f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Content-Type": "text/plain"}, "cross_site"),
        ({"Content-Type": "application/json"}, "cross_site"),
        ({"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"}, "cross_site"),
    ],
)
async def test_another_origin_cannot_use_the_staff_cookie(
    server: Server, other_origin: str, headers: dict[str, str], code: str
) -> None:
    staff = await server.staff("dana")
    status, body = await cookie_post(
        server,
        staff.token,
        {"Origin": other_origin, **headers},
        data='{"title": "Forged", "format": "group"}',
    )
    assert (status, body["error"]["code"]) == (403, code)
    assert await session_count(server) == 0


async def test_a_cookie_request_naming_no_origin_is_refused(server: Server) -> None:
    staff = await server.staff("dana")
    status, body = await cookie_post(server, staff.token, {}, json=NEW_SESSION)
    assert (status, body["error"]["code"]) == (403, "cross_site")
    status, body = await cookie_post(
        server, staff.token, {"Sec-Fetch-Site": "cross-site"}, json=NEW_SESSION
    )
    assert (status, body["error"]["code"]) == (403, "cross_site")
    assert await session_count(server) == 0


async def test_same_origin_json_works_and_other_bodies_get_415(server: Server) -> None:
    staff = await server.staff("dana")
    same = {"Origin": server.url, "Sec-Fetch-Site": "same-origin"}
    status, body = await cookie_post(
        server, staff.token, {**same, "Content-Type": "text/plain"}, data='{"title": "x"}'
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, body = await cookie_post(
        server,
        staff.token,
        {**same, "Content-Type": "application/x-www-form-urlencoded"},
        data="title=x&format=group",
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert await session_count(server) == 0
    status, body = await cookie_post(server, staff.token, same, json=NEW_SESSION)
    assert status == 201, body
    # A bearer token is never sent by a browser on its own: no Origin needed, JSON still is.
    status, body = await staff.api(
        "POST", "/api/sessions", data="{}", headers={"Content-Type": "text/plain"}
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert await session_count(server) == 1


async def test_a_page_on_another_port_cannot_create_a_session_in_chromium(
    server: Server,
) -> None:
    attack_port = free_port()
    attack = web.Application()
    page_html = f"""<!doctype html><title>cats</title><script>
      window.done = fetch("{server.url}/api/sessions", {{
        method: "POST", mode: "no-cors", credentials: "include",
        headers: {{"Content-Type": "text/plain"}},
        body: JSON.stringify({{title: "Forged", format: "group"}}),
      }}).then(() => "sent", (e) => "failed " + e);
    </script>"""

    async def attack_page(_request: web.Request) -> web.Response:
        return web.Response(text=page_html, content_type="text/html")

    attack.router.add_get("/", attack_page)
    runner = web.AppRunner(attack)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", attack_port).start()
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = await new_page(browser, server)
                await clinician_signs_in(server, page)
                # The clinician's own dashboard still creates sessions.
                await create_session(page, "Tuesday group")
                assert await session_count(server) == 1
                other = await page.context.new_page()
                await other.goto(f"http://127.0.0.1:{attack_port}/")
                assert await other.evaluate("window.done") == "sent"
                await page.reload()
                await expect(
                    page.get_by_role("link", name="Open the room: Tuesday group")
                ).to_be_visible()
            finally:
                await browser.close()
    finally:
        await runner.cleanup()
    assert await session_count(server) == 1
