"""A certificate as a one-page printable PDF (reportlab).

Names can be in any script ("Zoë Nguyễn", "Алексей"), so the text is set in
DejaVu Sans, embedded from Debian's ``fonts-dejavu-core``. Without that font
the standard Helvetica is used, which holds Latin-1 only: accents that have a
plain-letter base are dropped and anything else becomes ``?``, so a
certificate is still produced.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from datetime import UTC, datetime
from pathlib import Path

from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from imr_live.reports.certificates import Certificate

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
"""Where Debian's fonts-dejavu-core puts DejaVu Sans."""
STANDARD = ("Helvetica", "Helvetica-Bold")

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


@functools.cache
def fonts(font_dir: Path = FONT_DIR) -> tuple[str, str]:
    """Names of the (regular, bold) fonts: DejaVu Sans if it loads, else the standard ones."""
    try:
        regular = TTFont("DejaVuSans", str(font_dir / "DejaVuSans.ttf"))
        bold = TTFont("DejaVuSans-Bold", str(font_dir / "DejaVuSans-Bold.ttf"))
    except (OSError, TTFError):
        return STANDARD
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(bold)
    return regular.fontName, bold.fontName


def latin1(text: str) -> str:
    """``text`` as the standard fonts can show it: accents dropped where that helps, else ``?``."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.encode("latin-1", "ignore"):
            out.append(ch)
            continue
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        out.append(base if base and base.encode("latin-1", "ignore") == base.encode() else "?")
    return "".join(out)


def certificate_pdf(cert: Certificate, font_dir: Path = FONT_DIR) -> bytes:
    """The PDF bytes of ``cert``."""
    regular, bold = fonts(font_dir)
    text = (lambda s: s) if (regular, bold) != STANDARD else latin1
    headline, line = HEADLINES[cert.kind]
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(f"{headline} - {cert.display_name}")
    pdf.setLineWidth(4)
    pdf.rect(36, 36, width - 72, height - 72)
    rows = [
        (bold, 34, headline, 0.78),
        (regular, 18, "This certifies that", 0.66),
        (bold, 30, cert.display_name, 0.57),
        (regular, 18, line, 0.47),
        (bold, 22, cert.achievement, 0.39),
        (regular, 16, f"Date: {_date(cert.at)}", 0.26),
        (regular, 16, f"Group leader: {cert.leader}", 0.20),
    ]
    for font, size, words, y in rows:
        pdf.setFont(font, size)
        pdf.drawCentredString(width / 2, height * y, text(words[:90]))
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _date(at_us: int) -> str:
    """A date people read: 25 November 2026 (UTC)."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%-d %B %Y")
