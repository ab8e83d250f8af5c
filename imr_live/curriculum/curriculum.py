"""The Curriculum: a validated script set and lookups by ref and id."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from imr_live.curriculum.glossary import Glossary
from imr_live.curriculum.goals import GoalWorksheet
from imr_live.curriculum.models import (
    Exercise,
    Module,
    Poll,
    RolePlay,
    ScriptSession,
    Slide,
    Variant,
)
from imr_live.curriculum.plans import ENTRY_MODULE, Plan
from imr_live.errors import NotFound

T = TypeVar("T")


class Curriculum:
    """Every module, session, slide, role play, variant and plan, found by id.

    Refs and ids are stable strings:

    - module: ``recovery-strategies``; in a variant ``simplified/recovery-strategies``
    - session ref: ``recovery-strategies/1``; in a variant ``simplified/recovery-strategies/1``
      (``targeted/distressing-symptoms/1`` for the urgent-needs plans)
    - slide, role play, exercise, assignment: ``<session ref>/<key>``, or for
      content a variant only reuses, the id of the original
    - relaxation exercise: ``relaxation/<key>``
    """

    def __init__(
        self,
        modules: list[Module],
        variants: list[Variant],
        plans: list[Plan],
        relaxations: list[Exercise],
        opening_text: str,
        root: Path,
        glossary: Glossary,
    ) -> None:
        self.modules = modules
        """Core modules in curriculum order."""
        self.variants = variants
        self.plans = plans
        self.relaxations = relaxations
        """Short relaxation exercises that can open any session."""
        self.root = root
        self.glossary = glossary
        """Hard words and their plain meanings (``glossary.yaml``)."""
        self._opening_text = opening_text
        every = modules + [m for v in variants for m in v.modules]
        self._modules = {m.id: m for m in every}
        self._sessions = {s.ref: s for m in every for s in m.sessions}
        sessions = self._sessions.values()
        self._slides = {x.id: x for s in sessions for x in s.slides}
        self._role_plays = {x.id: x for s in sessions for x in s.role_plays}
        self._exercises = {x.id: x for s in sessions for x in s.exercises}
        self._exercises.update({x.id: x for x in relaxations})
        self._polls = {x.id: x for s in sessions for x in s.polls}
        self._variants = {v.id: v for v in variants}
        self._plans = {p.id: p for p in plans}

    def module(self, module_id: str) -> Module:
        """A module by id (``coping-with-stress`` or ``simplified/coping-with-stress``)."""
        return _get(self._modules, module_id, "module")

    def session(self, script_ref: str) -> ScriptSession:
        """A session by ref, e.g. ``recovery-strategies/1``; NotFound if unknown."""
        return _get(self._sessions, script_ref, "session script")

    def slide(self, slide_id: str) -> Slide:
        """A slide by its global id."""
        return _get(self._slides, slide_id, "slide")

    def role_play(self, role_play_id: str) -> RolePlay:
        """A role play by its global id."""
        return _get(self._role_plays, role_play_id, "role play")

    def poll(self, poll_id: str) -> Poll:
        """A script poll by its global id."""
        return _get(self._polls, poll_id, "poll")

    def exercise(self, exercise_id: str) -> Exercise:
        """An exercise (relaxation ones too) by its global id."""
        return _get(self._exercises, exercise_id, "exercise")

    def variant(self, variant_id: str) -> Variant:
        """A variant by id, e.g. ``simplified``."""
        return _get(self._variants, variant_id, "variant")

    def plan(self, plan_id: str) -> Plan:
        """A plan by id, e.g. ``group-open-enrollment``."""
        return _get(self._plans, plan_id, "plan")

    @property
    def session_refs(self) -> list[str]:
        """Every session ref, core first, then each variant's."""
        return list(self._sessions)

    @property
    def slides(self) -> list[Slide]:
        """Every slide once, in order of first appearance."""
        return list(self._slides.values())

    @property
    def goal_worksheet(self) -> GoalWorksheet:
        """The recovery-goal worksheet of the Recovery Strategies module."""
        sheet = self.module(ENTRY_MODULE).goal_worksheet
        if sheet is None:
            raise NotFound("the Recovery Strategies module has no goal worksheet")
        return sheet

    def opened_session(self, script_ref: str, relaxation_id: str) -> ScriptSession:
        """A session opened by a relaxation exercise, e.g. ``relaxation/calm-breathing``."""
        exercise = self.exercise(relaxation_id)
        if exercise.session_ref is not None:
            raise NotFound(f"no relaxation exercise {relaxation_id}")
        return self.session(script_ref).with_opening(exercise, self._opening_text)


def _get(table: dict[str, T], key: str, noun: str) -> T:
    """``table[key]``, or NotFound naming what was looked for."""
    try:
        return table[key]
    except KeyError:
        raise NotFound(f"no {noun} '{key}'") from None
