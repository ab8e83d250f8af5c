"""Turns a captioned room's decoded audio into captions, one speaker at a time.

The SFU's tap hands each speaker's PCM to ``listener_for(room)``; utterances are
cut on pauses, recognised in one worker thread (never in the event loop), and
handed to ``deliver(room, speaker, text, speech_end)``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

from imr_live.captions.engine import SpeechEngine
from imr_live.captions.segmenter import Segmenter, Utterance

log = logging.getLogger("imr_live.captions")
Deliver = Callable[[str, str, str, float], Awaitable[None]]
"""``deliver(room_id, participant_id, text, speech_end)``."""
QUIET_FLUSH_S = 0.6
"""No audio for this long (muted, the track ended) ends the utterance in progress."""


class Captioner:
    """Segmenters per (room, speaker), one recognition thread, and the delivery of text."""

    def __init__(self, engine: SpeechEngine, deliver: Deliver | None = None) -> None:
        self.engine = engine
        self.deliver = deliver
        """Set by the app once the live channel exists."""
        self._segmenters: dict[tuple[str, str], Segmenter] = {}
        self._flush_timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="captions")
        self._tasks: set[asyncio.Task[None]] = set()

    def listener_for(self, room_id: str) -> Callable[[str, bytes, float], None]:
        """What the SFU's tap calls with one room's decoded audio."""

        if hasattr(self.engine, "load"):
            # The model loads in the recognition thread, before the room's first utterance.
            asyncio.get_running_loop().run_in_executor(self._pool, self.engine.load)

        def listen(participant: str, pcm: bytes, arrival: float) -> None:
            key = (room_id, participant)
            segmenter = self._segmenters.setdefault(key, Segmenter())
            done = segmenter.feed(pcm, arrival)
            if done is not None:
                self._recognise(key, done)
            self._arm_flush(key, segmenter)

        return listen

    def _arm_flush(self, key: tuple[str, str], segmenter: Segmenter) -> None:
        old = self._flush_timers.pop(key, None)
        if old is not None:
            old.cancel()
        if segmenter.speaking:
            loop = asyncio.get_running_loop()
            self._flush_timers[key] = loop.call_later(QUIET_FLUSH_S, self._flush, key)

    def _flush(self, key: tuple[str, str]) -> None:
        self._flush_timers.pop(key, None)
        segmenter = self._segmenters.get(key)
        done = segmenter.flush() if segmenter is not None else None
        if done is not None:
            self._recognise(key, done)

    def _recognise(self, key: tuple[str, str], utterance: Utterance) -> None:
        task = asyncio.get_running_loop().create_task(self._caption(key, utterance))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _caption(self, key: tuple[str, str], utterance: Utterance) -> None:
        loop = asyncio.get_running_loop()
        try:
            text = await loop.run_in_executor(self._pool, self.engine.transcribe, utterance.pcm)
        except Exception:
            log.exception("captions: recognition failed")
            return
        if text and self.deliver is not None:
            room_id, participant = key
            try:
                await self.deliver(room_id, participant, text, utterance.speech_end)
            except Exception:
                log.exception("captions: a caption was not delivered")

    def forget_room(self, room_id: str) -> None:
        """Captions turned off (or the room closed): drop its speakers' unfinished audio."""
        for key in [k for k in self._segmenters if k[0] == room_id]:
            self._segmenters.pop(key, None)
            timer = self._flush_timers.pop(key, None)
            if timer is not None:
                timer.cancel()

    async def close(self) -> None:
        """Stop: cancel recognitions in flight and the worker thread."""
        for timer in self._flush_timers.values():
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._pool.shutdown(wait=False, cancel_futures=True)
