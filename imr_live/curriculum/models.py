"""The public, resolved curriculum models the live channel reads.

Ids are global and stable: ``<module>/<n>/<key>`` for core content and
``<variant>/<module>/<n>/<key>`` for content a variant adds. The same id always
means the same content, so everyone in a room sees the same slide.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

from imr_live.curriculum.goals import GoalWorksheet

AgendaKind = Literal[
    "relaxation",
    "check_in",
    "review",
    "new_material",
    "practice",
    "home_practice",
    "summary",
    "sharing",
    "planning",
    "welcome",
    "recognition",
    "celebration",
]
StepKind = Literal["model", "practise", "feedback", "suggestion", "practise_again"]
Flow = Literal["imr", "support-group", "graduation"]
PENDING_REVIEWER = "pending"

# The IMR session shape; relaxation may come first, the rest always in this order.
AGENDA_ORDER: tuple[AgendaKind, ...] = (
    "check_in",
    "review",
    "new_material",
    "practice",
    "home_practice",
    "summary",
)
# Sessions that are not IMR teaching sessions keep their own shape: a monthly
# recovery support group shares news and plans the month; a graduation marks
# the end of the course with stories and certificates.
FLOWS: dict[Flow, tuple[AgendaKind, ...]] = {
    "imr": AGENDA_ORDER,
    "support-group": (
        "check_in",
        "sharing",
        "new_material",
        "practice",
        "planning",
        "home_practice",
        "summary",
    ),
    "graduation": (
        "welcome",
        "new_material",
        "practice",
        "recognition",
        "home_practice",
        "celebration",
    ),
}
# Every kind agenda.yaml gives a default text for, in the order it lists them.
STANDARD_KINDS: tuple[AgendaKind, ...] = (
    "relaxation",
    *AGENDA_ORDER,
    "sharing",
    "planning",
    "welcome",
    "recognition",
    "celebration",
)
# Social-skills training order: model, practise, praise, one suggestion, again.
STEP_ORDER: tuple[StepKind, ...] = ("model", "practise", "feedback", "suggestion", "practise_again")


@dataclass(frozen=True)
class GlossaryTerm:
    """A word a grade-6 reader may not know, with its plain meaning."""

    term: str
    means: str
    forms: tuple[str, ...] = ()
    """Other spellings of the term (plurals and so on)."""

    @property
    def spellings(self) -> tuple[str, ...]:
        """The term and its other forms, lowercase."""
        return (self.term, *self.forms)


@dataclass(frozen=True)
class Review:
    """Who checked a module's clinical content and when (``pending`` until someone has)."""

    reviewer: str
    reviewed: date | None
    scope: str = "module"
    """What was reviewed: the module, or a variant's additions to it."""

    @property
    def pending(self) -> bool:
        """True until a named clinician has reviewed it."""
        return self.reviewer == PENDING_REVIEWER

    def describe(self) -> str:
        """One line for people: who reviewed it and when, or that it is still pending."""
        if self.pending:
            return f"Clinical review of the {self.scope}: PENDING (not yet reviewed by a clinician)"
        return f"Clinical review of the {self.scope}: {self.reviewer} on {self.reviewed}"


@dataclass(frozen=True)
class Slide:
    """A handout slide shown to everyone in the room."""

    id: str
    """Global, stable id, e.g. ``recovery-strategies/1/what-is-recovery``."""
    title: str
    points: list[str]
    """Short sentences shown as a list."""
    questions: list[str]
    """Discussion questions for the group or client."""
    session_ref: str
    """The session that defines this slide."""
    source: str = ""
    """Where it is written, ``file:line`` under the script root (for error reports)."""
    words: list[GlossaryTerm] = field(default_factory=list)
    """Glossary words the slide uses, shown under it as "Words to know"."""


@dataclass(frozen=True)
class RolePlayRole:
    """One part in a role play: who plays it and what they do."""

    name: str
    """One of client, leader, co-leader, supporter."""
    description: str


@dataclass(frozen=True)
class RolePlayStep:
    """One social-skills training step and what each person does in it."""

    kind: StepKind
    text: str


@dataclass(frozen=True)
class RolePlay:
    """A role play run in the practice part of a session."""

    id: str
    title: str
    scenario: str
    roles: list[RolePlayRole]
    steps: list[RolePlayStep]
    """Always the five STEP_ORDER steps, in that order."""
    skill_steps: list[str]
    """The steps of the skill itself (may be empty)."""
    session_ref: str

    @property
    def role_names(self) -> list[str]:
        """Names of the roles, in order: who the leader assigns."""
        return [role.name for role in self.roles]


@dataclass(frozen=True)
class Exercise:
    """A practice activity that is not a role play; relaxation exercises too."""

    id: str
    title: str
    instructions: list[str]
    minutes: int | None
    session_ref: str | None
    """None for relaxation exercises, which belong to no session."""


@dataclass(frozen=True)
class HomeAssignment:
    """The home practice given at the end of a session."""

    id: str
    text: str


@dataclass(frozen=True)
class AgendaStep:
    """One step of a session's agenda, with the items the leader shows in it."""

    kind: AgendaKind
    text: str
    minutes: int | None
    slide_ids: list[str] = field(default_factory=list)
    """For ``new_material``: the slides, in order."""
    role_play_ids: list[str] = field(default_factory=list)
    """For ``practice``: the role plays."""
    exercise_ids: list[str] = field(default_factory=list)
    """For ``practice`` (exercises) and ``relaxation`` (the exercise)."""
    assignment_id: str | None = None
    """For ``home_practice``: the assignment."""


@dataclass(frozen=True)
class Poll:
    """A question from the script that a leader may ask the group (``options`` None: 1-5)."""

    id: str
    question: str
    options: list[str] | None
    multiple: bool = False


@dataclass(frozen=True)
class ScriptSession:
    """A session a leader runs, named by its ``ref`` (e.g. ``recovery-strategies/1``)."""

    ref: str
    module_id: str
    number: int
    title: str
    minutes: int
    agenda: list[AgendaStep]
    slides: list[Slide]
    role_plays: list[RolePlay]
    exercises: list[Exercise]
    home_assignment: HomeAssignment
    summary: list[str]
    leader_notes: list[str]
    variant: str | None = None
    goal_worksheet: GoalWorksheet | None = None
    """Set in the sessions where clients set or review a recovery goal."""
    flow: Flow = "imr"
    """The session's shape: an IMR teaching session, a support group or a graduation."""
    polls: list[Poll] = field(default_factory=list)
    """Questions the leader may ask the group (variant sessions keep the core's)."""

    def with_opening(self, exercise: Exercise, text: str) -> ScriptSession:
        """This session opened by a relaxation exercise (a no-op if already opened)."""
        if self.agenda and self.agenda[0].kind == "relaxation":
            return self
        step = AgendaStep("relaxation", text, exercise.minutes, exercise_ids=[exercise.id])
        return replace(self, agenda=[step, *self.agenda])


@dataclass(frozen=True)
class Module:
    """A topic area: ``id`` is ``<key>`` in the core, ``<variant>/<key>`` in a variant."""

    id: str
    key: str
    number: int
    title: str
    summary: str
    sessions: list[ScriptSession]
    variant: str | None = None
    goal_worksheet: GoalWorksheet | None = None
    reviews: list[Review] = field(default_factory=list)
    """Clinical reviews of the module, and of a variant's additions to it."""
    template: str | None = None
    """The template the module is built on (e.g. ``practical-facts-about``)."""


@dataclass(frozen=True)
class Variant:
    """A version of the curriculum for a group of clients, built on the core."""

    id: str
    title: str
    kind: Literal["additions", "adapted", "targeted"]
    description: str
    reading_grade_max: float
    """Highest Flesch-Kincaid grade allowed on this variant's client text."""
    modules: list[Module]
    leader_guidelines: list[str] = field(default_factory=list)
    """How to lead this variant (never shown to clients)."""
    activities_per_session: int = 1
    """Fewest role plays and exercises each session of the variant must have."""
