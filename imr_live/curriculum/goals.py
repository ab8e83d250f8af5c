"""The recovery-goal worksheet and the check of a ``goal.noted`` event's data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imr_live.errors import InvalidInput

MAX_TEXT = 500


@dataclass(frozen=True)
class ShortTermGoal:
    """A short-term goal and the small steps toward it."""

    goal: str
    steps: list[str]


@dataclass(frozen=True)
class GoalEntry:
    """A client's recovery goal as recorded in a ``goal.noted`` event."""

    goal: str
    short_term: list[ShortTermGoal]

    def as_data(self) -> dict[str, Any]:
        """The event data: ``{"goal": str, "short_term": [{"goal", "steps"}]}``."""
        return {
            "goal": self.goal,
            "short_term": [{"goal": s.goal, "steps": list(s.steps)} for s in self.short_term],
        }


@dataclass(frozen=True)
class GoalWorksheet:
    """Prompts for setting a recovery goal, broken into short-term goals and steps."""

    id: str
    title: str
    intro: str
    goal_prompt: str
    short_term_prompt: str
    steps_prompt: str
    max_short_term: int
    max_steps: int
    example: GoalEntry
    session_refs: list[str]
    """Sessions where the worksheet is used."""

    def parse_entry(self, data: Any) -> GoalEntry:
        """Check ``goal.noted`` data against this worksheet; raise InvalidInput if wrong."""
        if not isinstance(data, dict) or set(data) != {"goal", "short_term"}:
            raise InvalidInput('goal data must be {"goal": ..., "short_term": [...]}')
        short_term = data["short_term"]
        if not isinstance(short_term, list) or len(short_term) > self.max_short_term:
            raise InvalidInput(f"short_term must be a list of at most {self.max_short_term}")
        return GoalEntry(_text(data["goal"], "goal"), [self._short(s) for s in short_term])

    def _short(self, item: Any) -> ShortTermGoal:
        """One short-term goal with its steps, checked."""
        if not isinstance(item, dict) or set(item) != {"goal", "steps"}:
            raise InvalidInput('each short-term goal must be {"goal": ..., "steps": [...]}')
        steps = item["steps"]
        if not isinstance(steps, list) or len(steps) > self.max_steps:
            raise InvalidInput(f"steps must be a list of at most {self.max_steps}")
        return ShortTermGoal(_text(item["goal"], "goal"), [_text(s, "step") for s in steps])


def _text(value: Any, name: str) -> str:
    """A non-empty, bounded piece of text written by a client or leader."""
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise InvalidInput(f"{name} must be text of 1 to {MAX_TEXT} characters")
    return value.strip()
