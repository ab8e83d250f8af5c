"""The clip files a session may play: shipped ones and those its leads uploaded.

Shipped clips are the WebM or MP4 files in the ``clips_dir`` setting (title: a
``<name>.txt`` beside the file, else the file's name). Uploaded clips go to
``<data_dir>/clips/<session id>/<clip id>.<webm|mp4>`` with a ``.json`` beside them
(title, length). Every file is checked with PyAV before it is offered (sfu/clip.py
``probe``: WebM/MP4, VP8 or H.264 picture, Opus sound). Files are read by the media
server only; browsers never get them.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

from imr_live.domain.clips import ClipFile
from imr_live.domain.ids import new_id
from imr_live.errors import InvalidInput, NotFound
from sfu.clip import ClipRefused, probe

log = logging.getLogger("imr_live.clips")
TITLE_MAX = 80
ENDINGS = (".webm", ".mp4")
SHIPPED_PREFIX = "shipped-"


def clean_title(title: str, fallback: str) -> str:
    """The title given, else the file's name without its ending (at most TITLE_MAX)."""
    text = " ".join(title.split()) or " ".join(fallback.rsplit(".", 1)[0].split())
    if not text:
        raise InvalidInput("title: give the video a title")
    return text[:TITLE_MAX]


class ClipLibrary:
    """Shipped and uploaded clip files, checked once each."""

    def __init__(self, uploads: Path, shipped: Path | None = None) -> None:
        self.uploads = uploads.resolve()
        self.shipped = shipped
        self._probed: dict[tuple[Path, float], float | None] = {}

    def for_session(self, session_id: str) -> list[ClipFile]:
        """Every clip the session may play: shipped first, then its uploads (oldest first)."""
        found = self._shipped()
        folder = self.uploads / session_id
        if folder.is_dir():
            entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime)
            found += [c for c in (self._uploaded(p) for p in entries) if c is not None]
        return found

    def find(self, session_id: str, clip_id: str) -> ClipFile:
        """One clip of the session; raises NotFound."""
        for clip in self.for_session(session_id):
            if clip.id == clip_id:
                return clip
        raise NotFound("that video is not in this session's list")

    def add(self, session_id: str, title: str, name: str, data: bytes) -> ClipFile:
        """Check and store an uploaded clip; raises InvalidInput (nothing stored) if it is
        not a WebM/MP4 video with VP8 or H.264 picture and Opus sound."""
        if not re.fullmatch(r"[A-Za-z0-9_\-]{1,80}", session_id):
            raise InvalidInput("session: not a valid id")
        title = clean_title(title, name)
        folder = self.uploads / session_id
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            try:
                info = probe(Path(tmp))
            except ClipRefused as exc:
                raise InvalidInput(str(exc)) from exc
            ending = ".webm" if info["video"] in (None, "vp8") else ".mp4"
            clip_id = new_id("clip")
            path = folder / f"{clip_id}{ending}"
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        meta = {"title": title, "duration": info["duration"], "file": path.name}
        (folder / f"{clip_id}.json").write_text(json.dumps(meta), encoding="utf-8")
        return ClipFile(clip_id, title, info["duration"], path, shipped=False)

    def _uploaded(self, meta_path: Path) -> ClipFile | None:
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            path = meta_path.with_name(str(meta["file"]))
            return ClipFile(
                meta_path.stem, str(meta["title"]), float(meta["duration"]), path, shipped=False
            )
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("clip %s: unreadable description, left out", meta_path.name)
            return None

    def _shipped(self) -> list[ClipFile]:
        if self.shipped is None or not self.shipped.is_dir():
            return []
        found = []
        for path in sorted(self.shipped.iterdir()):
            if path.suffix.lower() not in ENDINGS or not path.is_file():
                continue
            duration = self._duration(path)
            if duration is None:
                continue
            slug = re.sub(r"[^A-Za-z0-9_\-]+", "-", path.stem)[:60].strip("-") or "clip"
            title_file = path.with_suffix(".txt")
            title = title_file.read_text(encoding="utf-8") if title_file.is_file() else ""
            found.append(
                ClipFile(
                    SHIPPED_PREFIX + slug,
                    clean_title(title, path.name),
                    duration,
                    path.resolve(),
                    shipped=True,
                )
            )
        return found

    def _duration(self, path: Path) -> float | None:
        key = (path, path.stat().st_mtime)
        if key not in self._probed:
            try:
                self._probed[key] = probe(path)["duration"]
            except ClipRefused as exc:
                log.warning("shipped clip %s left out: %s", path.name, exc)
                self._probed[key] = None
        return self._probed[key]
