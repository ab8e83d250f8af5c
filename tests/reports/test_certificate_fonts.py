"""Certificates for names in any script: DejaVu Sans is embedded; without it, a clean fallback."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from imr_live.reports.certificate_pdf import FONT_DIR, certificate_pdf
from imr_live.reports.certificates import Certificate
from tests.live.harness import Server
from tests.reports.course import one_module
from tests.reports.scenario import come_in
from tests.reports.test_scale_and_exports import pdf_text

NAMES = ["Zoë Nguyễn", "Алексей"]


@pytest.mark.skipif(not (FONT_DIR / "DejaVuSans.ttf").is_file(), reason="fonts-dejavu-core")
async def test_a_certificate_holds_a_non_latin_name(server: Server) -> None:
    dana = await server.staff("dana")
    _module, (ref, _second) = one_module(server)
    session = await dana.create_session(script_ref=ref)
    leader = await dana.connect(session["id"])
    await leader.ok("join")
    for n, name in enumerate(NAMES):
        token = await dana.invite(session["id"], "client", client_ref=f"C-10{n}")
        await come_in(server, leader, token, name)
    await leader.ok("session.end")
    module = ref.split("/", 1)[0]
    for n, name in enumerate(NAMES):
        path = f"/api/reports/clients/C-10{n}/certificate?kind=module&module={module}"
        status, text = await pdf_text(dana, path)
        assert status == 200
        assert name in text and "Certificate of Completion" in text, text


def test_without_the_font_the_certificate_still_renders(tmp_path: Path) -> None:
    cert = Certificate(
        "module", "C-1", "Zoë Nguyễn Алексей", "coping", 1_764_000_000_000_000, "dana"
    )
    pdf = certificate_pdf(cert, font_dir=tmp_path)  # no TTF here: standard fonts
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Zoë Nguyen ???????" in text and "coping" in text and "dana" in text
