"""Every response forbids inline script, framing, referrers and sniffing; pages still work."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
from playwright.async_api import Browser, Page, expect

from imr_live.resources import WEB_DIR
from tests.live.harness import Server, start_server
from tests.web.people import (
    admit,
    client_waits,
    clinician_signs_in,
    create_session,
    leader_opens_room,
    make_invite,
    new_page,
)

# Reports each Content-Security-Policy violation the page meets.
CSP_WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
"""


async def every_kind_of_response(server: Server) -> dict[str, aiohttp.ClientResponse]:
    """A page of each kind, a static file, a bundle, JSON, a redirect and a 404."""
    dana = await server.staff("dana")
    session = await dana.create_session()
    token = await dana.invite(session["id"])
    urls = {
        "login": "/login",
        "staff": "/staff",
        "room": f"/room/{session['id']}",
        "join": f"/join/{token}",
        "bad link": "/join/p_nothing.forged",
        "timeline": f"/review/sessions/{session['id']}",
        "program": "/review/program",
        "source module": "/static/js/dom.js",
        "chart library": "/review/assets/chart.umd.min.js",
        "json": "/api/me",
        "redirect": "/",
        "not found": "/nothing-here",
    }
    async with dana.http.get("/login") as login:
        html = await login.text()
    urls["bundle"] = html.split('src="', 1)[1].split('"', 1)[0]
    answers = {}
    for kind, url in urls.items():
        async with dana.http.get(url, allow_redirects=False) as resp:
            await resp.read()
            answers[kind] = resp
    return answers


async def test_every_response_carries_the_security_headers(server: Server) -> None:
    for kind, resp in (await every_kind_of_response(server)).items():
        assert resp.status in (200, 302, 404), (kind, resp.status)
        csp = resp.headers.get("Content-Security-Policy", "")
        assert "script-src 'self';" in csp, kind
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, kind
        assert "frame-ancestors 'none'" in csp, kind
        assert resp.headers.get("X-Frame-Options") == "DENY", kind
        assert resp.headers.get("Referrer-Policy") == "no-referrer", kind
        assert resp.headers.get("X-Content-Type-Options") == "nosniff", kind
        assert "Strict-Transport-Security" not in resp.headers, kind


async def test_production_mode_adds_hsts(tmp_path: Path) -> None:
    server = await start_server(tmp_path, production=True, log_key="log-key-" + "y" * 32)
    try:
        for kind, resp in (await every_kind_of_response(server)).items():
            hsts = resp.headers.get("Strict-Transport-Security", "")
            assert hsts.startswith("max-age=63072000"), kind
    finally:
        await server.stop()


async def violations(page: Page) -> list[str]:
    """CSP violations the page has met since it loaded."""
    return list(await page.evaluate("window.__csp"))


async def test_pages_run_under_the_policy_without_violations(
    server: Server, browser: Browser
) -> None:
    """Sign-in, dashboard, room, join page and a review page break no CSP rule."""
    leader = await new_page(browser, server)
    await leader.context.add_init_script(CSP_WATCH)
    await clinician_signs_in(server, leader)
    await create_session(leader, "Monday group")
    link = await make_invite(leader, 1)
    await leader_opens_room(leader, "Monday group")
    alex = await new_page(browser, server)
    await alex.context.add_init_script(CSP_WATCH)
    await client_waits(alex, link, "Alex")
    assert await violations(leader) == [], "room"
    await admit(leader, "Alex")
    await expect(alex.locator("#room")).to_be_visible()
    assert await violations(alex) == [], "join page and room"
    await leader.goto("/review/program")
    await expect(leader.locator("h1")).to_be_visible()
    assert await violations(leader) == [], "review page"


def test_templates_hold_no_inline_script_or_event_handler_attributes() -> None:
    """What the policy would block stays out of the templates (scripts live in modules)."""
    for path in (WEB_DIR / "templates").rglob("*.html"):
        html = path.read_text()
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), path
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert not re.search(r"\sstyle\s*=", html), path
