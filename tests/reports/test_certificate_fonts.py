"""Certificates for names in any script: DejaVu Sans is embedded; without it, a clean fallback."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from imr_live.reports.certificate_pdf import FONT_DIR, certificate_pdf
from imr_live.reports.certificates import PROGRAM, Certificate, Evidence
from imr_live.reports.modules import module_title
from tests.live.harness import Server
from tests.reports.course import curriculum_of, one_session_module
from tests.reports.scenario import come_in
from tests.reports.test_scale_and_exports import pdf_text

NAMES = ["Zoë Nguyễn", "Алексей"]


@pytest.mark.skipif(not (FONT_DIR / "DejaVuSans.ttf").is_file(), reason="fonts-dejavu-core")
async def test_a_certificate_holds_a_non_latin_name(server: Server) -> None:
    dana = await server.staff("dana")
    module, ref = one_session_module(server)
    session = await dana.create_session(script_ref=ref)
    leader = await dana.connect(session["id"])
    await leader.ok("join")
    for n, name in enumerate(NAMES):
        token = await dana.invite(session["id"], "client", client_ref=f"C-10{n}")
        await come_in(server, leader, token, name)
    await asyncio.sleep(0.5)  # both in the room for most of the session: it counts
    await leader.ok("session.end")
    for n, name in enumerate(NAMES):
        path = f"/api/reports/clients/C-10{n}/certificate?kind=module&module={module}"
        status, text = await pdf_text(dana, path)
        assert status == 200
        assert name in text and "Certificate of Completion" in text, text
        assert module_title(module, curriculum_of(server)) in text


def test_without_the_font_the_certificate_still_renders(tmp_path: Path) -> None:
    cert = Certificate(
        "module",
        "C-1",
        "Zoë Nguyễn Алексей",
        "coping",
        (),
        PROGRAM,
        1_764_000_000_000_000,
        "dana",
        Evidence("s_1", 9, "0" * 64),
    )
    pdf = certificate_pdf(
        cert, "ABCD-EFGH-IJKL-MNOP", "http://x/verify/ABCD-EFGH-IJKL-MNOP", tmp_path
    )
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Zoë Nguyen ???????" in text and "coping" in text and "dana" in text
