"""The periodic anchor: signed heads of every session, appended to a write-once file.

The head table lives in the database, so someone who can restore an old copy of
it (with its valid MACs) and truncate the log to match could hide the newest
events. The anchor is kept where the operator makes that impossible (an
append-only or WORM folder); verification compares every head with the latest
anchored one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from imr_live.store.log_chain import SignedHead

log = logging.getLogger(__name__)

ANCHOR_FILE = "session-heads.jsonl"


class LogAnchor:
    """An append-only JSON-lines file of signed session heads in ``folder``."""

    def __init__(self, folder: Path, key: bytes) -> None:
        self.path = folder / ANCHOR_FILE
        self._key = key
        self._exported: dict[str, SignedHead] | None = None
        self._read_to = 0
        self._furthest: dict[str, SignedHead] = {}
        self._lock = threading.Lock()  # the timer's export and a verifier may read at once

    def latest(self) -> dict[str, SignedHead]:
        """Each session's furthest anchored head whose signature holds.

        Reads only what was appended since the last call, so checking one session
        on a review page does not re-read months of anchor.
        """
        if not self.path.exists():
            return {}
        with self._lock, self.path.open("rb") as lines:
            if self.path.stat().st_size < self._read_to:
                log.warning("anchor %s shrank: it is not write-once; re-reading", self.path)
                self._read_to, self._furthest = 0, {}
            lines.seek(self._read_to)
            for line in lines:
                if not line.endswith(b"\n"):
                    break  # a line still being written; read it next time
                self._read_to += len(line)
                head = self._parse(line.decode("utf-8", "replace"))
                seen = self._furthest.get(head.session_id) if head else None
                if head is not None and (seen is None or head.count >= seen.count):
                    self._furthest[head.session_id] = head
        return dict(self._furthest)

    def _parse(self, line: str) -> SignedHead | None:
        try:
            raw = json.loads(line)
            head = SignedHead(raw["session_id"], int(raw["count"]), raw["last_hash"], raw["mac"])
        except (ValueError, KeyError, TypeError):
            log.warning("anchor %s: skipped a line that is not a head", self.path)
            return None
        if not head.is_signed_by(self._key):
            log.warning("anchor %s: skipped a head whose signature fails", self.path)
            return None
        return head

    def export(self, heads: Iterable[SignedHead]) -> int:
        """Append the heads that changed since the last export; return how many."""
        if self._exported is None:
            self._exported = self.latest()
        changed = [h for h in heads if self._exported.get(h.session_id) != h]
        if not changed:
            return 0
        at = time.time_ns() // 1000
        text = "".join(
            json.dumps(
                {
                    "at": at,
                    "session_id": h.session_id,
                    "count": h.count,
                    "last_hash": h.last_hash,
                    "mac": h.mac,
                },
                sort_keys=True,
            )
            + "\n"
            for h in changed
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        self._exported.update((h.session_id, h) for h in changed)
        return len(changed)


class AnchorExporter:
    """Exports every signed head to a LogAnchor on a timer and once more at close."""

    def __init__(
        self,
        anchor: LogAnchor,
        all_heads: Callable[[], Awaitable[list[SignedHead]]],
        interval_s: float,
    ) -> None:
        self.anchor = anchor
        self._all_heads = all_heads
        self._interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin exporting every ``interval_s`` seconds."""
        self._task = asyncio.create_task(self._run(), name="log-anchor")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                await self.export_now()
            except Exception:
                log.exception("log anchor export failed; will retry")

    async def export_now(self) -> int:
        """Export heads that changed since the last export; return how many."""
        heads = await self._all_heads()
        return await asyncio.to_thread(self.anchor.export, heads)

    async def close(self) -> None:
        """Stop the timer and export the final heads."""
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.export_now()
