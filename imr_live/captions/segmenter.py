"""Cuts a speaker's audio into utterances: speech, then half a second of quiet (or no sound)."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field

from imr_live.captions.engine import RATE

FRAME_BYTES = RATE * 2 // 50
"""20 ms of 16-bit mono PCM."""


@dataclass
class Utterance:
    """What one speaker said between two pauses."""

    pcm: bytes
    speech_end: float
    """Arrival time (event-loop clock) of the last loud frame: when they stopped speaking."""


@dataclass
class Segmenter:
    """Energy-based end-of-speech detection for one speaker."""

    threshold: float = 400.0
    """RMS (16-bit scale) above which a 20 ms frame counts as speech."""
    pause_s: float = 0.5
    """Quiet that ends an utterance."""
    min_speech_s: float = 0.2
    """Shorter bursts (a cough, a click) are dropped."""
    max_s: float = 15.0
    """An utterance is cut here even without a pause, so captions keep coming."""
    pre_roll_s: float = 0.3
    """Quiet kept from just before the speech (a soft first sound is not cut off)."""
    _buffer: bytearray = field(default_factory=bytearray)
    _before: bytearray = field(default_factory=bytearray)
    _pending: bytearray = field(default_factory=bytearray)
    _speech_frames: int = 0
    _quiet_frames: int = 0
    _last_loud: float = 0.0

    def feed(self, pcm: bytes, arrival: float) -> Utterance | None:
        """Add decoded audio; an utterance when this audio ended one."""
        self._pending += pcm
        done: Utterance | None = None
        while len(self._pending) >= FRAME_BYTES:
            frame = bytes(self._pending[:FRAME_BYTES])
            del self._pending[:FRAME_BYTES]
            done = self._frame(frame, arrival) or done
        return done

    def flush(self) -> Utterance | None:
        """No sound is coming (the track went quiet): end the utterance in progress."""
        return self._cut()

    @property
    def speaking(self) -> bool:
        """True while an utterance is in progress."""
        return self._speech_frames > 0

    def _frame(self, frame: bytes, arrival: float) -> Utterance | None:
        samples = array("h", frame)
        loud = math.sqrt(sum(s * s for s in samples) / len(samples)) >= self.threshold
        if loud:
            if not self._speech_frames:
                self._buffer += self._before
                self._before.clear()
            self._speech_frames += 1
            self._quiet_frames = 0
            self._last_loud = arrival
        elif self._speech_frames:
            self._quiet_frames += 1
        if self._speech_frames:
            self._buffer += frame
        else:
            self._before += frame
            del self._before[: max(0, len(self._before) - int(self.pre_roll_s * RATE * 2))]
        if self._quiet_frames * 0.02 >= self.pause_s or len(self._buffer) >= self.max_s * RATE * 2:
            return self._cut()
        return None

    def _cut(self) -> Utterance | None:
        speech_s = self._speech_frames * 0.02
        pcm, self._buffer = bytes(self._buffer), bytearray()
        self._speech_frames = self._quiet_frames = 0
        if speech_s < self.min_speech_s:
            return None
        return Utterance(pcm, self._last_loud)
