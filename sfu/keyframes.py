"""Merged keyframe requests towards one publisher track.

Requests are never dropped: the first one after a quiet spell goes out at
once, later ones within the window are merged into one request at the end
of the window, and a request is repeated if no keyframe arrives in time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from sfu.supervision import SupervisedLoop

logger = logging.getLogger(__name__)


class KeyframeRequester:
    """Turns many keyframe wishes into few PLIs towards a publisher."""

    def __init__(
        self, send: Callable[[], Awaitable[None]], *, window_s: float, retry_s: float, name: str
    ) -> None:
        self.requests = 0
        self.sent = 0
        self.keyframes = 0
        self._send = send
        self._window_s = window_s
        self._retry_s = retry_s
        self._name = name
        self._wanted = asyncio.Event()
        self._arrived = asyncio.Event()
        self._last_sent = -1e9
        self._loop: SupervisedLoop | None = None

    def start(self) -> None:
        """Start the owned request loop (restarted if it crashes)."""
        if self._loop is None:
            self._loop = SupervisedLoop(f"keyframes:{self._name}", self._run)

    @property
    def running(self) -> bool:
        """Whether the owned loop is alive."""
        return self._loop is not None and self._loop.running

    def request(self) -> None:
        """Ask for a keyframe (merged with other requests)."""
        self.requests += 1
        self._wanted.set()

    def on_keyframe(self) -> None:
        """A keyframe arrived from the publisher: pending requests are satisfied."""
        self.keyframes += 1
        self._wanted.clear()
        self._arrived.set()

    async def _run(self) -> None:
        while True:
            await self._wanted.wait()
            delay = self._last_sent + self._window_s - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not self._wanted.is_set():
                continue
            self._arrived.clear()
            try:
                await self._send()
            except ConnectionError as exc:
                logger.info("keyframe request for %s not sent: %s", self._name, exc)
            self.sent += 1
            self._last_sent = time.monotonic()
            try:
                async with asyncio.timeout(self._retry_s):  # never wait_for: see stop_task
                    await self._arrived.wait()
            except TimeoutError:
                logger.debug("no keyframe from %s yet: asking again", self._name)

    async def close(self) -> None:
        """Cancel and await the request loop (idempotent)."""
        loop, self._loop = self._loop, None
        if loop is not None:
            await loop.close()
