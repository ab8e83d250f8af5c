"""Dominant speaker from the audio-level header extension (RFC 6464) at ingress."""

from __future__ import annotations

from dataclasses import dataclass

# dBov below which (i.e. louder than) a packet counts as speech.
SPEECH_DBOV = 50
# A challenger must beat the current speaker's score by this factor.
HYSTERESIS = 1.3
# Fraction of speech packets in an interval below which nobody is speaking.
MIN_ACTIVITY = 0.3


@dataclass
class _Interval:
    packets: int = 0
    speech: int = 0
    loudness: int = 0


class DominantSpeaker:
    """Accumulates audio levels per participant and picks the dominant speaker."""

    def __init__(self) -> None:
        self.current: str | None = None
        self._intervals: dict[str, _Interval] = {}

    def observe(self, participant_id: str, level_dbov: int) -> None:
        """Record one audio packet's level (0 = loudest, 127 = silence)."""
        interval = self._intervals.get(participant_id)
        if interval is None:
            interval = self._intervals[participant_id] = _Interval()
        interval.packets += 1
        if level_dbov < SPEECH_DBOV:
            interval.speech += 1
            interval.loudness += SPEECH_DBOV - level_dbov

    def forget(self, participant_id: str) -> None:
        """Drop a participant who left."""
        self._intervals.pop(participant_id, None)
        if self.current == participant_id:
            self.current = None

    def pick(self) -> str | None:
        """Close the interval; return the new dominant speaker if it changed, else None."""
        scores = {pid: _score(iv) for pid, iv in self._intervals.items()}
        self._intervals = {}
        if not scores:
            return None
        best = max(scores, key=lambda pid: scores[pid])
        if scores[best] <= 0 or best == self.current:
            return None
        current_score = scores.get(self.current, 0.0) if self.current else 0.0
        if current_score and scores[best] < current_score * HYSTERESIS:
            return None
        self.current = best
        return best


def _score(interval: _Interval) -> float:
    if not interval.packets or interval.speech / interval.packets < MIN_ACTIVITY:
        return 0.0
    return interval.loudness / interval.packets
