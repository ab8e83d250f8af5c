"""Speech engines for tests, importable by the speech worker process (it unpickles them)."""

from __future__ import annotations

import os


class WhereEngine:
    """Says which process recognised the utterance; ends its process on a silent one."""

    name = "where"

    def transcribe(self, pcm: bytes) -> str:
        if not any(pcm[1::2]):
            os._exit(3)  # a crashing engine: the worker process dies mid-utterance
        return f"heard in {os.getpid()}"


class LengthEngine:
    """Says how long the utterance was, in 20 ms frames (to see where it was cut)."""

    name = "length"

    def transcribe(self, pcm: bytes) -> str:
        return f"frames {len(pcm) // 640}"
