"""Background loops that are owned, and restarted when they crash, never silently lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

logger = logging.getLogger(__name__)

RESTART_BACKOFF_S = 1.0
CANCEL_AGAIN_S = 0.1


async def stop_task(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has ended, however its code takes the cancel.

    One ``cancel()`` can be lost: on Python 3.11, ``asyncio.wait_for`` returns the
    awaited result instead of raising when the cancel lands as that result arrives,
    and the task runs on. A lost cancel is repeated, so closing never hangs on it.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=CANCEL_AGAIN_S)
    await asyncio.gather(task, return_exceptions=True)  # its exception, if any, is retrieved


class SupervisedLoop:
    """Runs one loop as an owned task; an exception is logged and the loop restarted.

    The first failure of each exception type is logged with its traceback,
    later ones of the same type in one line, so a loop failing every round
    neither floods the log nor goes unnoticed. The loop restarts after
    `backoff_s`; `close` cancels and awaits it.
    """

    def __init__(
        self,
        name: str,
        loop: Callable[[], Awaitable[None]],
        *,
        backoff_s: float = RESTART_BACKOFF_S,
    ) -> None:
        self.name = name
        self.restarts = 0
        """How many times the loop crashed and was started again."""
        self._loop = loop
        self._backoff_s = backoff_s
        self._seen: set[type[BaseException]] = set()
        self._task = asyncio.create_task(self._supervise(), name=name)

    @property
    def running(self) -> bool:
        """Whether the owned task is alive."""
        return not self._task.done()

    async def _supervise(self) -> None:
        while True:
            try:
                await self._loop()
                return
            except Exception as exc:
                self.restarts += 1
                self._log(exc)
            await asyncio.sleep(self._backoff_s)

    def _log(self, exc: Exception) -> None:
        kind = type(exc)
        if kind in self._seen:
            logger.warning(
                "%s failed again (%s: %s); restarting in %s s",
                self.name,
                kind.__name__,
                exc,
                self._backoff_s,
            )
            return
        self._seen.add(kind)
        logger.error("%s failed; restarting in %s s", self.name, self._backoff_s, exc_info=exc)

    async def close(self) -> None:
        """Cancel the loop and wait for it to end (idempotent)."""
        await stop_task(self._task)
