"""A handout file made safe: a PDF or picture turned into plain PNG page images.

The uploaded file is never kept or served back. A PDF is drawn page by page by
PDFium (``pypdfium2``); a PNG or JPEG is decoded and encoded again by Pillow,
which drops its metadata. Anything else (a program or a web page renamed to
``.pdf``, a locked or broken PDF, too many pages or pixels) is refused with a
sentence for the person who sent it. The work is CPU-bound: callers run it in a
thread (``asyncio.to_thread``).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError

from imr_live.errors import InvalidInput

LONG_EDGE = 1600
"""Longest side of a page image in pixels: sharp on a large screen, small to send."""
MAX_SOURCE_PIXELS = 50_000_000
"""A picture larger than this is refused before it is decoded (a decompression bomb)."""
PDF_MAGIC = b"%PDF-"
PICTURES = {"PNG", "JPEG"}


class BadHandout(InvalidInput):
    """The file is not a handout we can show (code ``bad_handout``)."""

    code = "bad_handout"


@dataclass(frozen=True, slots=True)
class PageImage:
    """One page of a handout as a PNG."""

    png: bytes
    width: int
    height: int


def render(data: bytes, max_pages: int) -> list[PageImage]:
    """The pages of a PDF, PNG or JPEG file as PNG images; BadHandout otherwise."""
    if data.startswith(PDF_MAGIC):
        return _pdf_pages(data, max_pages)
    return [_picture(data)]


def _pdf_pages(data: bytes, max_pages: int) -> list[PageImage]:
    import pypdfium2 as pdfium  # imported here: only uploads need PDFium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        reason = "it is locked with a password" if "password" in str(exc).lower() else "broken"
        raise BadHandout(f"This PDF cannot be opened: {reason}.") from None
    try:
        if pdfium.raw.FPDF_GetSecurityHandlerRevision(pdf.raw) != -1:
            raise BadHandout("This PDF is locked (encrypted). Save it without a lock first.")
        count = len(pdf)
        if count == 0:
            raise BadHandout("This PDF has no pages.")
        if count > max_pages:
            raise BadHandout(
                f"This PDF has {count} pages. The most a handout may have is {max_pages}."
            )
        return [_page(pdf[i]) for i in range(count)]
    finally:
        pdf.close()


def _page(page: Any) -> PageImage:
    try:
        width, height = page.get_size()
        scale = LONG_EDGE / max(width, height, 1.0)
        return _png(page.render(scale=scale).to_pil())
    finally:
        page.close()


def _picture(data: bytes) -> PageImage:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as img:
                if img.format not in PICTURES:
                    raise BadHandout("A handout must be a PDF, PNG or JPEG file.")
                if img.width * img.height > MAX_SOURCE_PIXELS:
                    raise BadHandout("This picture is too large. Make it smaller and try again.")
                img.seek(0)  # an animated PNG shows its first frame
                img.load()
                return _png(ImageOps.exif_transpose(img))
        except (
            UnidentifiedImageError,
            Image.DecompressionBombError,
            Image.DecompressionBombWarning,
        ):
            raise BadHandout("A handout must be a PDF, PNG or JPEG file.") from None
        except (OSError, SyntaxError, ValueError):
            raise BadHandout("This picture is broken and cannot be shown.") from None


def _png(img: Image.Image) -> PageImage:
    """A fresh PNG of ``img``: at most LONG_EDGE pixels long, no metadata carried over."""
    clean = img.convert("RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB")
    clean.info = {}  # no ICC profile, text chunks or EXIF copied into the new file
    clean.thumbnail((LONG_EDGE, LONG_EDGE))
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=False)
    return PageImage(out.getvalue(), clean.width, clean.height)
