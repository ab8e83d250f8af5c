"""What clients read: every client-facing text of a session, as passages to check.

A passage is one thing a client reads at once (a slide, a role play's scenario
and roles, its coaching steps, an exercise, the home practice, the summary, the
goal worksheet). Leader notes, agenda texts and module summaries are for
leaders and are left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from imr_live.curriculum.goals import GoalWorksheet
from imr_live.curriculum.models import Exercise, RolePlay, ScriptSession, Slide


@dataclass(frozen=True)
class Passage:
    """One client-facing text and where it comes from."""

    kind: str
    """slide, role-play, role-play-steps, exercise, poll, home-practice, summary, goal-worksheet."""
    id: str
    """The item's global id (the session ref for a summary)."""
    text: str
    """The text as prose: each line its own sentence."""
    source: str = ""
    """``file:line`` where known."""


def as_prose(parts: Iterable[str]) -> str:
    """Lines as prose: each title, point or step a sentence of its own."""
    return " ".join(p if p.rstrip()[-1:] in ".?!:" else p.rstrip() + "." for p in parts if p)


def slide_passage(slide: Slide) -> Passage:
    """A slide's title, points and questions."""
    text = as_prose([slide.title, *slide.points, *slide.questions])
    return Passage("slide", slide.id, text, slide.source)


def role_play_passages(role_play: RolePlay) -> list[Passage]:
    """A role play's scenario, roles and skill steps; and its coaching steps."""
    roles = [role.description for role in role_play.roles]
    prompt = as_prose([role_play.title, role_play.scenario, *roles, *role_play.skill_steps])
    steps = as_prose(step.text for step in role_play.steps)
    return [
        Passage("role-play", role_play.id, prompt),
        Passage("role-play-steps", role_play.id, steps),
    ]


def exercise_passage(exercise: Exercise) -> Passage:
    """An exercise's title and instructions (read out or shown to clients)."""
    return Passage("exercise", exercise.id, as_prose([exercise.title, *exercise.instructions]))


def worksheet_passage(sheet: GoalWorksheet) -> Passage:
    """The goal worksheet's intro, prompts and example."""
    example = [sheet.example.goal]
    for short in sheet.example.short_term:
        example += [short.goal, *short.steps]
    prompts = [sheet.title, sheet.intro, sheet.goal_prompt, sheet.short_term_prompt]
    return Passage("goal-worksheet", sheet.id, as_prose([*prompts, sheet.steps_prompt, *example]))


def session_passages(session: ScriptSession) -> Iterator[Passage]:
    """A session's client-facing texts in the order clients meet them."""
    for slide in session.slides:
        yield slide_passage(slide)
    if session.goal_worksheet is not None:
        yield worksheet_passage(session.goal_worksheet)
    for role_play in session.role_plays:
        yield from role_play_passages(role_play)
    for exercise in session.exercises:
        yield exercise_passage(exercise)
    for poll in session.polls:
        yield Passage("poll", poll.id, as_prose([poll.question, *(poll.options or [])]))
    home = session.home_assignment
    yield Passage("home-practice", home.id, as_prose([home.text]))
    yield Passage("summary", session.ref, as_prose(session.summary))


def unique_passages(sessions: Iterable[ScriptSession]) -> list[Passage]:
    """Every passage of these sessions once (reused items and worksheets count once)."""
    seen: dict[tuple[str, str], Passage] = {}
    for session in sessions:
        for passage in session_passages(session):
            seen.setdefault((passage.kind, passage.id), passage)
    return list(seen.values())
