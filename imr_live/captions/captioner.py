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
TICK_S = 0.1
"""How often speakers in mid-utterance are checked for that quiet."""

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
        self._quiet: dict[tuple[str, str], tuple[float, float]] = {}
        """Speakers in mid-utterance: when their last audio came (event-loop clock), and
        how long they have been quiet since while the server could hear them."""
        self._ticker: asyncio.TimerHandle | None = None
        self._last_tick = 0.0
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
        if not segmenter.speaking:
            self._quiet.pop(key, None)
            return
        loop = asyncio.get_running_loop()
        self._quiet[key] = (loop.time(), 0.0)
        if self._ticker is None:
            self._last_tick = loop.time()
            self._ticker = loop.call_later(TICK_S, self._tick)

    def _tick(self) -> None:
        """Count quiet, and end the utterances of speakers quiet for QUIET_FLUSH_S.

        Quiet counts only while the server could have heard sound: a tick that comes late
        (the server's loop stood still: a busy machine, a slow request) counts as one
        tick. In a stall no audio is read at all, so a whole stall counted as quiet cut
        sentences in two, and neither half was recognised.
        """
        loop = asyncio.get_running_loop()
        now, last, self._ticker = loop.time(), self._last_tick, None
        self._last_tick = now
        for key, (since, quiet) in list(self._quiet.items()):
            quiet += min(now - max(last, since), TICK_S * 1.5)
            self._quiet[key] = (since, quiet)
            if quiet >= QUIET_FLUSH_S:
                self._flush(key)
        if self._quiet:
            self._ticker = loop.call_later(TICK_S, self._tick)

    def _flush(self, key: tuple[str, str]) -> None:
        self._quiet.pop(key, None)
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
            self._quiet.pop(key, None)

    async def close(self) -> None:
        """Stop: cancel recognitions in flight and end the speech worker."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        self._quiet.clear()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        pool, self._pool = self._pool, None
        if pool is not None:
            # Waits for at most the utterance being recognised (well under a second).
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)
