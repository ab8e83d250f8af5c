"""Certificates in My IMR: a client opens their own, with their own join link only.

Eve (C-010) finishes her one-module plan (``course.run_course``), so she has a
module certificate and a graduation certificate. A later session invites her
and Fay (C-011). Eve's My IMR lists both certificates and each opens as a PDF
under her link (audited in her link's name, and then checkable on the public
page). Fay's link cannot open Eve's certificate (404), a made-up code is 404,
a forged link 401, and once Eve's link is turned off it is 401 too.
"""

from __future__ import annotations

import io
from typing import Any

import aiohttp
from playwright.async_api import Browser, expect
from pypdf import PdfReader

from tests.live.harness import Server
from tests.reports.course import EVE, FAY, run_course
from tests.web.people import check_page, new_page


async def get(server: Server, path: str) -> tuple[int, str, bytes]:
    """Status, content type and body of ``path``, fetched with no sign-in."""
    async with aiohttp.ClientSession(base_url=server.url) as http, http.get(path) as resp:
        return resp.status, resp.content_type, await resp.read()


async def my_imr(server: Server, token: str) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession(base_url=server.url) as http,
        http.post("/api/my-imr", json={"token": token}) as resp,
    ):
        assert resp.status == 200
        return dict(await resp.json())


async def test_a_client_opens_only_their_own_certificates(
    server: Server, chromium: Browser
) -> None:
    course = await run_course(server)
    dana = course.dana
    later = (await dana.create_session(title="Check-in", format="individual"))["id"]
    eve = await dana.invite(later, "client", client_ref=EVE)
    fay = await dana.invite(later, "client", client_ref=FAY)
    helper = await dana.invite(later, "supporter", client_ref=EVE)

    mine = await my_imr(server, eve)
    shown = [(c["kind"], c["headline"], c["achievement"]) for c in mine["certificates"]]
    assert shown == [
        ("module", "Certificate of Completion", course.title),
        ("graduation", "Graduation Certificate", course.plan.title),
    ]
    assert (await my_imr(server, fay))["certificates"] == []
    module_code = mine["certificates"][0]["code"]

    status, kind, body = await get(server, f"/join/{eve}/my-imr/certificates/{module_code}")
    assert (status, kind) == (200, "application/pdf")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
    assert "Certificate of Completion" in text and "Eve" in text and module_code in text
    status, _, page = await get(server, f"/verify/{module_code}")
    assert status == 200 and b"This certificate is real" in page  # issued when opened

    assert (await get(server, f"/join/{fay}/my-imr/certificates/{module_code}"))[0] == 404
    assert (await get(server, f"/join/{helper}/my-imr/certificates/{module_code}"))[0] == 403
    assert (await get(server, f"/join/{eve}/my-imr/certificates/AAAA-BBBB-CCCC-DDDD"))[0] == 404
    assert (await get(server, f"/join/{eve[:-4]}AAAA/my-imr/certificates/{module_code}"))[0] == 401

    db = server.services.db
    rows = await db.fetch(
        "SELECT account_id, action, target FROM audit_log WHERE action LIKE ?",
        "export.certificate.%",
    )
    eve_id = (await server.services.links.check(eve)).id
    assert [tuple(r.values()) for r in rows] == [
        (eve_id, "export.certificate.module", f"client:{EVE}")
    ]

    page = await new_page(chromium, server, phone=True)
    await page.goto(f"/join/{eve}/my-imr")
    links = page.get_by_role("region", name="My certificates").get_by_role("link")
    await expect(links).to_have_text(
        [
            f"Certificate of Completion: {course.title} (PDF)",
            f"Graduation Certificate: {course.plan.title} (PDF)",
        ]
    )
    href = await links.nth(1).evaluate("a => a.href")
    assert href == f"{server.url}/join/{eve}/my-imr/certificates/{mine['certificates'][1]['code']}"
    assert eve not in await page.content()  # the page links relatively: no token in it
    await check_page(page, "my-imr-certificates")
    reply = await page.request.get(href)
    assert reply.status == 200 and reply.headers["content-type"] == "application/pdf"

    status, _ = await dana.api("DELETE", f"/api/sessions/{later}/invites/{eve_id}")
    assert status in (200, 204)
    status, _, page_body = await get(server, f"/join/{eve}/my-imr/certificates/{module_code}")
    assert status == 401 and b"This link no longer works" in page_body
