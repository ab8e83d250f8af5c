"""Turns a captioned room's decoded audio into captions, one speaker at a time.

The SFU's tap hands each speaker's PCM to ``listener_for(room)``; utterances are
cut on pauses, recognised in one speech worker *process*, and handed to
``deliver(room, speaker, text, speech_end)``.

A process, not a thread: PocketSphinx's decoder holds the GIL while it decodes
(measured: an event loop ticking every 10 ms ticked once during a 0.47 s
recognition), so in a thread it stalled the whole live server — sockets, SFU
signalling, everyone's session — for as long as anyone spoke. The worker is
spawned when a room first turns captions on and started again if it dies.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from imr_live.captions.engine import SpeechEngine
from imr_live.captions.segmenter import Segmenter, Utterance

log = logging.getLogger("imr_live.captions")
Deliver = Callable[[str, str, str, float], Awaitable[None]]
"""``deliver(room_id, participant_id, text, speech_end)``."""
QUIET_FLUSH_S = 0.6
"""No audio for this long (muted, the track ended) ends the utterance in progress."""

_engine: SpeechEngine | None = None
"""The speech worker process's engine (set by ``_start_worker``, only in that process)."""


def _start_worker(engine: SpeechEngine) -> None:
    """In the speech worker: keep the engine and load its model before the first utterance."""
    global _engine
    _engine = engine
    load = getattr(engine, "load", None)
    if load is not None:
        load()


def _transcribe(pcm: bytes) -> str:
    """In the speech worker: one utterance's words."""
    assert _engine is not None, "the speech worker was started without an engine"
    return _engine.transcribe(pcm)


class Captioner:
    """Segmenters per (room, speaker), one speech worker process, and the delivery of text.

    ``engine`` is pickled into the worker (its model loads there, never here).
    """

    def __init__(self, engine: SpeechEngine, deliver: Deliver | None = None) -> None:
        self.engine = engine
        self.deliver = deliver
        """Set by the app once the live channel exists."""
        self._segmenters: dict[tuple[str, str], Segmenter] = {}
        self._flush_timers: dict[tuple[str, str], asyncio.TimerHandle] = {}
        self._pool: ProcessPoolExecutor | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def _worker(self) -> ProcessPoolExecutor:
        """The speech worker, spawned (not forked: this process runs threads) on first use."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self.engine,),
            )
        return self._pool

    def listener_for(self, room_id: str) -> Callable[[str, bytes, float], None]:
        """What the SFU's tap calls with one room's decoded audio."""
        # Start the worker now: its model loads before the room's first utterance.
        self._worker().submit(len, b"")

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
        pool = self._worker()
        try:
            text = await loop.run_in_executor(pool, _transcribe, utterance.pcm)
        except BrokenProcessPool:
            log.error("captions: the speech worker stopped; a new one starts with the next words")
            if self._pool is pool:
                self._pool = None
            pool.shutdown(wait=False)
            return
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
        """Stop: cancel recognitions in flight and end the speech worker."""
        for timer in self._flush_timers.values():
            timer.cancel()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            # Waits for at most the utterance being recognised (well under a second).
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
