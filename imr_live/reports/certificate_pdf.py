"""A certificate as a one-page printable PDF (reportlab, standard fonts)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen.canvas import Canvas

from imr_live.reports.certificates import Certificate

HEADLINES = {
    "module": (
        "Certificate of Completion",
        "has completed the Illness Management and Recovery module",
    ),
    "goal": ("Certificate of Achievement", "has achieved their recovery goal"),
    "graduation": (
        "Graduation Certificate",
        "has completed every planned module of Illness Management and Recovery",
    ),
}


def certificate_pdf(cert: Certificate) -> bytes:
    """The PDF bytes of ``cert``."""
    headline, line = HEADLINES[cert.kind]
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(f"{headline} - {cert.display_name}")
    pdf.setLineWidth(4)
    pdf.rect(36, 36, width - 72, height - 72)
    rows = [
        ("Helvetica-Bold", 34, headline, 0.78),
        ("Helvetica", 18, "This certifies that", 0.66),
        ("Helvetica-Bold", 30, cert.display_name, 0.57),
        ("Helvetica", 18, line, 0.47),
        ("Helvetica-Bold", 22, cert.achievement, 0.39),
        ("Helvetica", 16, f"Date: {_date(cert.at)}", 0.26),
        ("Helvetica", 16, f"Group leader: {cert.leader}", 0.20),
    ]
    for font, size, text, y in rows:
        pdf.setFont(font, size)
        pdf.drawCentredString(width / 2, height * y, text[:90])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _date(at_us: int) -> str:
    """A date people read: 25 November 2026 (UTC)."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%-d %B %Y")
