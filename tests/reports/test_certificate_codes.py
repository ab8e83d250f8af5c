"""Certificates carry a verification code that a public page checks against the signed log."""

from __future__ import annotations

import io
import re

import aiohttp
from pypdf import PdfReader

from imr_live.reports.certificate_pdf import certificate_pdf
from imr_live.reports.certificates import PROGRAM, Certificate, Evidence
from tests.live.harness import Server
from tests.reports.course import EVE, run_course
from tests.reports.test_scale_and_exports import pdf_text

CODE = re.compile(r"Verification code ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){3})")


async def public_page(server: Server, path: str) -> tuple[int, str]:
    """Status and text of a page fetched without signing in."""
    async with aiohttp.ClientSession(base_url=server.url) as anonymous:
        async with anonymous.get(path) as resp:
            return resp.status, await resp.text()


async def test_anyone_can_check_a_graduation_certificate_by_its_code(server: Server) -> None:
    course = await run_course(server)
    path = f"/api/reports/clients/{EVE}/certificate?kind=graduation"
    status, text = await pdf_text(course.dana, path)
    found = CODE.search(text)
    assert status == 200 and found, text
    code = found.group(1)
    assert f"/verify/{code}" in text.replace("\n", "")
    assert code in (await pdf_text(course.dana, path))[1]  # printed again: the same code

    status, page = await public_page(server, f"/verify/{code.lower()}")
    assert status == 200, page
    assert "This certificate is real" in page
    for shown in ("Graduation Certificate", "Eve", course.title, course.plan.title, "dana"):
        assert shown in page, shown
    assert EVE not in page and course.sessions[0]["id"] not in page  # nothing it does not show

    status, page = await public_page(server, "/verify/AAAA-BBBB-CCCC-DDDD")
    assert status == 404 and "No certificate has this code" in page


async def test_a_code_stops_verifying_when_its_log_or_its_record_is_edited(
    any_server: Server,
) -> None:
    course = await run_course(any_server)
    path = f"/api/reports/clients/{EVE}/certificate?kind=module&module={course.module}"
    found = CODE.search((await pdf_text(course.dana, path))[1])
    assert found
    code, db = found.group(1), any_server.services.db
    assert code in (await pdf_text(course.dana, path))[1]  # issued again: one row, same code
    assert (await public_page(any_server, f"/verify/{code}"))[0] == 200

    await db.execute("UPDATE certificates SET content = REPLACE(content, 'Eve', 'Evan')")
    status, page = await public_page(any_server, f"/verify/{code}")
    assert status == 404 and "The stored certificate was changed" in page
    assert "Evan" not in page
    await db.execute("UPDATE certificates SET content = REPLACE(content, 'Evan', 'Eve')")

    second = course.sessions[1]["id"]
    await db.execute(
        "UPDATE session_log SET data = ? WHERE session_id = ? AND seq = 2", '{"x": 1}', second
    )
    status, page = await public_page(any_server, f"/verify/{code}")
    assert status == 404 and "The session record behind it was changed" in page


def test_a_long_graduation_list_is_wrapped_not_cut() -> None:
    titles = tuple(f"Module number {n} with quite a long plain title" for n in range(1, 12))
    cert = Certificate(
        "graduation",
        "C-1",
        "Ann",
        "every module of Closed group, all modules",
        titles,
        f"{PROGRAM}: Closed group, all modules",
        1_764_000_000_000_000,
        "dana",
        Evidence("s_1", 3, "0" * 64),
    )
    pdf = certificate_pdf(cert, "ABCD-EFGH-IJKL-MNOP", "https://imr.example/verify/ABCD")
    text = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    for title in titles:
        assert title in text, title
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
