"""Speech engines behind one interface; PocketSphinx (its wheel ships an English model) by default."""

from __future__ import annotations

import threading
from typing import Any, Protocol

from imr_live.errors import ConfigError

RATE = 16_000
"""Sample rate of the PCM engines take (signed 16-bit, mono)."""


class SpeechEngine(Protocol):
    """Turns one utterance into text. Runs in the speech worker process, one call at a time;
    pickled into it, so an engine holds no open resources until ``load``/``transcribe``."""

    name: str

    def transcribe(self, pcm: bytes) -> str:
        """The words in ``pcm`` (16 kHz signed 16-bit mono), lower case; "" if none."""


class PocketSphinx:
    """CMU PocketSphinx with the US English model its wheel carries (on-device, no network)."""

    name = "pocketsphinx"

    def __init__(self) -> None:
        self._decoder: Any = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        """Pickled into the speech worker process without its lock or loaded model."""
        return {}

    def __setstate__(self, _state: dict[str, Any]) -> None:
        self._decoder = None
        self._lock = threading.Lock()

    def load(self) -> None:
        """Load the model now (a few seconds) instead of on the first utterance."""
        with self._lock:
            self._load()

    def _load(self) -> Any:
        if self._decoder is None:
            from pocketsphinx import Decoder

            self._decoder = Decoder(samprate=RATE, loglevel="FATAL")
        return self._decoder

    def transcribe(self, pcm: bytes) -> str:
        """Decode one whole utterance."""
        with self._lock:
            decoder = self._load()
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
        return "" if hyp is None else str(hyp.hypstr).strip()


ENGINES = {"pocketsphinx": PocketSphinx}
"""Engines by the name the ``captions_engine`` setting uses ("off": no captions)."""


def load_engine(name: str) -> SpeechEngine | None:
    """The engine ``name`` names; None for "off"; ConfigError for an unknown name."""
    if name == "off":
        return None
    engine = ENGINES.get(name)
    if engine is None:
        raise ConfigError(f"captions_engine: one of off, {', '.join(sorted(ENGINES))}")
    return engine()
