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
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from imr_live.reports.certificates import Certificate

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
"""Where Debian's fonts-dejavu-core puts DejaVu Sans."""
STANDARD = ("Helvetica", "Helvetica-Bold")
TEXT_MARGIN = 80
"""Points between the page edge and the longest line (inside the border)."""

HEADLINES = {
    "module": (
        "Certificate of Completion",
        "has completed the Illness Management and Recovery module",
    ),
    "goal": ("Certificate of Achievement", "has achieved their recovery goal"),
    "graduation": (
        "Graduation Certificate",
        "has completed every module of their plan",
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


def certificate_pdf(
    cert: Certificate, code: str, verify_url: str, font_dir: Path = FONT_DIR
) -> bytes:
    """The PDF bytes of ``cert``, with its verification ``code`` and where to check it."""
    regular, bold = fonts(font_dir)
    text = (lambda s: s) if (regular, bold) != STANDARD else latin1
    headline, line = HEADLINES[cert.kind]
    width, height = landscape(A4)
    buffer = io.BytesIO()
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(text(f"{headline} - {cert.display_name}"))
    pdf.setLineWidth(4)
    pdf.rect(36, 36, width - 72, height - 72)
    blocks = [
        (bold, 32, headline),
        (regular, 16, "This certifies that"),
        (bold, 28, cert.display_name),
        (regular, 16, line),
        (bold, 20, cert.achievement),
    ]
    if cert.items:
        blocks.append((regular, _list_size(cert.items, regular, width), ", ".join(cert.items)))
    blocks += [
        (regular, 14, cert.program),
        (regular, 14, f"Date: {long_date(cert.at)}    Group leader: {cert.leader}"),
        (regular, 11, f"Verification code {code}: check it at {verify_url}"),
    ]
    y = height - 90
    for font, size, words in blocks:
        for row in simpleSplit(text(words), font, size, width - TEXT_MARGIN * 2):
            y -= size * 1.25
            pdf.setFont(font, size)
            pdf.drawCentredString(width / 2, y, row)
        y -= size * 0.6
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _list_size(items: tuple[str, ...], font: str, width: float) -> int:
    """The largest size (14 down to 9) at which the module list fits in five lines."""
    joined = ", ".join(items)
    for size in range(14, 8, -1):
        if len(simpleSplit(joined, font, size, width - TEXT_MARGIN * 2)) <= 5:
            return size
    return 9


def long_date(at_us: int) -> str:
    """A date people read: 25 November 2026 (UTC)."""
    return datetime.fromtimestamp(at_us / 1_000_000, UTC).strftime("%-d %B %Y")
