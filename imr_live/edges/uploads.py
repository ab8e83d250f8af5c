"""One file uploaded with a title, as a multipart form: handouts and recovery videos.

The whole request is refused before it is read when it says it is too large, and
each part is read in chunks and refused once past its limit, so a lying client
cannot make the server hold more than ``limit`` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

from aiohttp import BodyPartReader, web

from imr_live.edges.http_api import UnsupportedMediaType
from imr_live.errors import ImrError, InvalidInput

CHUNK = 64 * 1024
TITLE_BYTES = 1024
ENVELOPE = 64 * 1024
"""What a form may carry besides the file (boundaries, headers, the title)."""


class TooLarge(InvalidInput):
    """The upload is larger than the server takes (413)."""

    code = "too_large"
    status = 413


@dataclass(frozen=True)
class UploadKind:
    """The words a refusal uses for one kind of upload."""

    noun: str
    """What it is: "handout", "video"."""
    thing: str
    """What the person chose: "file", "video"."""
    choose: str
    """What to choose instead of nothing: "a PDF, PNG or JPEG file"."""


async def read_upload(request: web.Request, limit: int, kind: UploadKind) -> tuple[str, str, bytes]:
    """The form's title, the file's name and its bytes (at most ``limit``)."""
    if not request.content_type.startswith("multipart/form-data"):
        raise UnsupportedMediaType(f"send the {kind.noun} as a form upload (multipart/form-data)")
    too_large = TooLarge(
        f"This {kind.thing} is too large. The most a {kind.noun} may be is {mb(limit)}."
    )
    if (request.content_length or 0) > limit + ENVELOPE:
        raise too_large
    title, name, data = "", "", None
    reader = await request.multipart()
    async for part in reader:
        if not isinstance(part, BodyPartReader):
            raise InvalidInput("the form must not nest parts")
        if part.name == "title":
            raw = await _limited(part, TITLE_BYTES, InvalidInput("title: too long"))
            title = raw.decode("utf-8", "replace")
        elif part.name == "file" and data is None:
            name = unquote(part.filename or "")  # some clients %-encode the name
            data = await _limited(part, limit, too_large)
    if not data:
        raise InvalidInput(f"file: choose {kind.choose} to upload")
    return title, name, data


async def _limited(part: BodyPartReader, limit: int, error: ImrError) -> bytes:
    """A form part's bytes, refused with ``error`` once past ``limit``."""
    buf = bytearray()
    while chunk := await part.read_chunk(CHUNK):
        buf += chunk
        if len(buf) > limit:
            raise error
    return bytes(buf)


def mb(size: int) -> str:
    """``10 MB``, ``512 KB``."""
    return f"{size / (1024 * 1024):g} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"
