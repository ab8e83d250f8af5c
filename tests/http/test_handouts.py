"""Handouts over HTTP: a lead uploads a PDF or picture; only safe page pictures come back.

Dana leads a session and uploads a three-page PDF made here with Pillow. Its pages
come back as PNG pictures with headers that keep them pictures. Files that are not
a handout (a web page or a program renamed to .pdf, a broken or locked PDF, too many
pages, too large) are refused with a sentence, and nothing is stored. A client, a
clinician of another session and a stranger may not upload; a page is served only to
the session's people.
"""

from __future__ import annotations

import io
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from PIL import Image
from pypdf import PdfReader, PdfWriter

from tests.live.harness import Server, Staff, start_server

LIMIT = 300_000
MAX_PAGES = 5


def pdf_of(pages: int, size: tuple[int, int] = (300, 400)) -> bytes:
    """A PDF with ``pages`` plain coloured pages (Pillow writes it)."""
    colours = ["red", "green", "blue", "yellow", "purple", "orange", "white"]
    images = [Image.new("RGB", size, colours[i % len(colours)]) for i in range(pages)]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:])
    return out.getvalue()


def png_of(size: tuple[int, int] = (200, 100)) -> bytes:
    out = io.BytesIO()
    img = Image.new("RGB", size, "teal")
    img.save(out, "PNG", pnginfo=_text_chunk("Author", "Someone private"))
    return out.getvalue()


def jpeg_of(size: tuple[int, int] = (200, 100)) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x013B] = "Someone private"  # Artist
    Image.new("RGB", size, "teal").save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def _text_chunk(key: str, value: str) -> Any:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text(key, value)
    return info


def form(data: bytes, filename: str, title: str | None = None) -> aiohttp.FormData:
    body = aiohttp.FormData()
    if title is not None:
        body.add_field("title", title)
    body.add_field("file", data, filename=filename, content_type="application/octet-stream")
    return body


@pytest.fixture
async def small_server(tmp_path: Path) -> AsyncIterator[Server]:
    srv = await start_server(tmp_path, handout_max_bytes=LIMIT, handout_max_pages=MAX_PAGES)
    try:
        yield srv
    finally:
        await srv.stop()


async def upload(who: Staff, sid: str, data: bytes, name: str, **kw: Any) -> tuple[int, Any]:
    return await who.api("POST", f"/api/sessions/{sid}/handouts", data=form(data, name, **kw))


async def listed(who: Staff, sid: str) -> list[dict[str, Any]]:
    status, body = await who.api("GET", f"/api/sessions/{sid}/handouts")
    assert status == 200, body
    return list(body["handouts"])


async def test_a_pdf_becomes_page_pictures_served_as_inert_pngs(small_server: Server) -> None:
    dana = await small_server.staff("dana")
    sid = (await dana.create_session())["id"]
    status, body = await upload(dana, sid, pdf_of(3), "coping.pdf", title="Coping skills")
    assert status == 201, body
    handout = body["handout"]
    assert (handout["title"], handout["pages"], handout["shown"]) == ("Coping skills", 3, False)
    assert [h["id"] for h in await listed(dana, sid)] == [handout["id"]]

    resp = await dana.http.get(f"/api/handouts/{handout['id']}/pages/2.png")
    assert resp.status == 200
    assert resp.headers["Content-Type"] == "image/png"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"] == "inline"
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "sandbox" in csp and "script" not in csp
    page = Image.open(io.BytesIO(await resp.read()))
    assert page.format == "PNG" and max(page.size) == 1600
    red, green, blue = page.convert("RGB").getpixel((10, 10))
    assert green > 100 and red < 30 and blue < 30  # page 2 is the green one
    missing = await dana.http.get(f"/api/handouts/{handout['id']}/pages/4.png")
    assert missing.status == 404


@pytest.mark.parametrize(("make", "name"), [(png_of, "My steps.png"), (jpeg_of, "My steps.jpg")])
async def test_a_picture_is_drawn_again_without_its_metadata(
    small_server: Server, make: Any, name: str
) -> None:
    dana = await small_server.staff("dana")
    sid = (await dana.create_session())["id"]
    data = make()
    assert b"Someone private" in data
    status, body = await upload(dana, sid, data, name)
    assert status == 201, body
    assert (body["handout"]["title"], body["handout"]["pages"]) == ("My steps", 1)
    resp = await dana.http.get(f"/api/handouts/{body['handout']['id']}/pages/1.png")
    data = await resp.read()
    assert b"Someone private" not in data
    assert Image.open(io.BytesIO(data)).size == (200, 100)


def locked_pdf() -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_of(1))))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"<html><script>alert(1)</script></html>", "handout.pdf", "PDF, PNG or JPEG"),
        (b"MZ\x90\x00" + b"\x00" * 200, "handout.pdf", "PDF, PNG or JPEG"),
        (b"%PDF-1.4\nthis is not really a PDF", "broken.pdf", "cannot be opened"),
        (pdf_of(MAX_PAGES + 1), "long.pdf", f"most a handout may have is {MAX_PAGES}"),
        (png_of()[:-30], "cut.png", "broken"),
    ],
    ids=["html", "exe", "broken-pdf", "too-many-pages", "broken-png"],
)
async def test_what_is_not_a_handout_is_refused_and_nothing_is_kept(
    small_server: Server,
    caplog: pytest.LogCaptureFixture,
    data: bytes,
    name: str,
    words: str,
) -> None:
    dana = await small_server.staff("dana")
    sid = (await dana.create_session())["id"]
    with caplog.at_level(logging.INFO, logger="imr_live.handouts"):
        status, body = await upload(dana, sid, data, name)
    assert status == 400, body
    assert body["error"]["code"] == "bad_handout"
    assert words in body["error"]["message"]
    assert await listed(dana, sid) == []
    assert f"handout for session {sid} refused: bad_handout" in caplog.text
    assert "dana" not in caplog.text


async def test_a_locked_pdf_is_refused(small_server: Server) -> None:
    dana = await small_server.staff("dana")
    sid = (await dana.create_session())["id"]
    status, body = await upload(dana, sid, locked_pdf(), "locked.pdf")
    assert (status, body["error"]["code"]) == (400, "bad_handout")
    assert "locked" in body["error"]["message"]
    assert await listed(dana, sid) == []


async def test_a_file_over_the_limit_is_refused_with_413(small_server: Server) -> None:
    dana = await small_server.staff("dana")
    sid = (await dana.create_session())["id"]
    status, body = await upload(dana, sid, b"%PDF-" + b"0" * (LIMIT + 1), "big.pdf")
    assert status == 413, body
    assert body["error"]["code"] == "too_large"
    assert "too large" in body["error"]["message"] and "292 KB" in body["error"]["message"]
    assert await listed(dana, sid) == []
    urlencoded = aiohttp.FormData({"title": "No file"})
    status, body = await dana.api("POST", f"/api/sessions/{sid}/handouts", data=urlencoded)
    assert status == 415, body
    no_file = aiohttp.FormData({"title": "No file"}, default_to_multipart=True)
    status, body = await dana.api("POST", f"/api/sessions/{sid}/handouts", data=no_file)
    assert (status, body["error"]["code"]) == (400, "invalid")


async def test_only_the_sessions_leads_upload_and_only_its_people_see(
    small_server: Server,
) -> None:
    dana = await small_server.staff("dana")
    eve = await small_server.staff("eve")
    sid = (await dana.create_session())["id"]
    other = (await eve.create_session())["id"]
    client = await dana.invite(sid, "client")
    co_leader = await dana.invite(sid, "co_leader")
    stranger = aiohttp.ClientSession(base_url=small_server.url)
    small_server.opened.append(stranger)

    status, body = await upload(eve, sid, pdf_of(1), "x.pdf")
    assert status == 403, body
    resp = await stranger.post(
        f"/api/sessions/{sid}/handouts",
        data=form(pdf_of(1), "x.pdf"),
        headers={"X-Join-Token": client},
    )
    assert resp.status == 403
    assert (
        await stranger.post(f"/api/sessions/{sid}/handouts", data=form(pdf_of(1), "x.pdf"))
    ).status == 401
    assert await listed(dana, sid) == []

    # A co-leader who came by link may upload.
    resp = await stranger.post(
        f"/api/sessions/{sid}/handouts",
        data=form(pdf_of(2), "x.pdf", title="Two pages"),
        headers={"X-Join-Token": co_leader},
    )
    assert resp.status == 201
    hid = (await resp.json())["handout"]["id"]
    page = f"/api/handouts/{hid}/pages/1.png"

    assert (await stranger.get(page)).status == 401
    assert (await eve.http.get(page)).status == 404
    # A client of the session sees it only once a lead has shown it (tests/live).
    assert (await stranger.get(page, headers={"X-Join-Token": client})).status == 403
    elsewhere = await eve.invite(other, "client")
    assert (await stranger.get(page, headers={"X-Join-Token": elsewhere})).status == 404
    assert (await stranger.get(page, headers={"X-Join-Token": client + "x"})).status == 401
