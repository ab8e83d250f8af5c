"""The shape of each script file, as pydantic models that reject unknown fields.

These mirror the YAML exactly (keys, not ids); ``assembly`` turns them into the
public models in ``models``. docs/session-scripts.md documents every field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    model_validator,
)

from imr_live.curriculum.models import PENDING_REVIEWER, AgendaKind, Flow

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
RoleName = Literal["client", "leader", "co-leader", "supporter"]
PlanFormat = Literal["individual", "group", "combined"]
VariantKind = Literal["additions", "adapted", "targeted"]

# Tags of tagged unions start with "~" so error locations can drop them.
TAG_PREFIX = "~"


class FileModel(BaseModel):
    """Base of every file model: frozen, and unknown fields are errors (typos show)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class UseRef(FileModel):
    """Reuse an item defined elsewhere, by its global id: ``{use: <id>}``."""

    use: Text


def _inline_or_use(value: Any) -> str:
    """Pick the union branch: a mapping with ``use`` reuses, anything else is inline."""
    return "~use" if isinstance(value, dict) and "use" in value else "~inline"


def _name_or_step(value: Any) -> str:
    """Pick the agenda branch: a bare kind name, or a mapping with details."""
    return "~name" if isinstance(value, str) else "~step"


class SlideFile(FileModel):
    """A handout slide: a title, a few short points and discussion questions."""

    key: Slug
    title: Text
    points: list[Text] = Field(min_length=1, max_length=6)
    questions: list[Text] = Field(default_factory=list, max_length=3)


class RoleFile(FileModel):
    """Who plays what in a role play."""

    name: RoleName
    description: Text


class StepsFile(FileModel):
    """The five social-skills training steps, in this order."""

    model: Text
    practise: Text
    feedback: Text
    suggestion: Text
    practise_again: Text


class RolePlayFile(FileModel):
    """A role play: scenario, roles, the skill's own steps, the training steps."""

    key: Slug
    title: Text
    scenario: Text
    roles: list[RoleFile] = Field(min_length=2)
    skill_steps: list[Text] = Field(default_factory=list)
    steps: StepsFile


class ExerciseFile(FileModel):
    """A practice activity that is not a role play (worksheet, game, relaxation)."""

    key: Slug
    title: Text
    minutes: int | None = Field(default=None, ge=1, le=60)
    instructions: list[Text] = Field(min_length=1)


class PollFile(FileModel):
    """A question the leader may ask the group, answered with a tap (no options: rate 1-5)."""

    key: Slug
    question: Text
    options: list[Text] | None = Field(default=None, min_length=2, max_length=8)
    multiple: bool = False


class HomePracticeFile(FileModel):
    """The home practice assignment given at the end of a session."""

    key: Slug
    text: Text


class AgendaStepFile(FileModel):
    """One agenda step; text and minutes fall back to the standard agenda."""

    kind: AgendaKind
    text: Text | None = None
    minutes: int | None = Field(default=None, ge=1, le=60)


SlideEntry = Annotated[
    Annotated[SlideFile, Tag("~inline")] | Annotated[UseRef, Tag("~use")],
    Discriminator(_inline_or_use),
]
RolePlayEntry = Annotated[
    Annotated[RolePlayFile, Tag("~inline")] | Annotated[UseRef, Tag("~use")],
    Discriminator(_inline_or_use),
]
ExerciseEntry = Annotated[
    Annotated[ExerciseFile, Tag("~inline")] | Annotated[UseRef, Tag("~use")],
    Discriminator(_inline_or_use),
]
AgendaEntry = Annotated[
    Annotated[AgendaKind, Tag("~name")] | Annotated[AgendaStepFile, Tag("~step")],
    Discriminator(_name_or_step),
]


class SessionFile(FileModel):
    """One session of a module."""

    number: int = Field(ge=1)
    title: Text
    flow: Flow = "imr"
    minutes: int = Field(ge=15, le=120)
    opening: Text | None = None
    agenda: list[AgendaEntry] | None = None
    slides: list[SlideEntry] = Field(min_length=1)
    role_plays: list[RolePlayEntry] = Field(default_factory=list)
    exercises: list[ExerciseEntry] = Field(default_factory=list)
    polls: list[PollFile] = Field(default_factory=list, max_length=4)
    home_practice: HomePracticeFile
    summary: list[Text] = Field(min_length=1)
    leader_notes: list[Text] = Field(min_length=1)


class ShortTermFile(FileModel):
    """A short-term goal and its steps (in the goal-setting example)."""

    goal: Text
    steps: list[Text] = Field(min_length=1)


class GoalExampleFile(FileModel):
    """A worked example of a recovery goal, shown to help people start."""

    goal: Text
    short_term: list[ShortTermFile] = Field(min_length=1)


class GoalSettingFile(FileModel):
    """The goal-setting worksheet: recovery goal -> short-term goals -> steps."""

    key: Slug
    title: Text
    intro: Text
    sessions: list[int] = Field(min_length=1)
    goal_prompt: Text
    short_term_prompt: Text
    steps_prompt: Text
    max_short_term: int = Field(default=3, ge=1, le=6)
    max_steps: int = Field(default=5, ge=1, le=10)
    example: GoalExampleFile


class ReviewFile(FileModel):
    """Who checked a file's clinical content, and when; ``pending`` until someone has."""

    reviewer: Text
    reviewed: date | None

    @model_validator(mode="after")
    def _date_matches_reviewer(self) -> ReviewFile:
        """A pending review has no date; a named reviewer needs one."""
        if self.reviewer == PENDING_REVIEWER and self.reviewed is not None:
            raise ValueError("a pending review has no date (reviewed: null)")
        if self.reviewer != PENDING_REVIEWER and self.reviewed is None:
            raise ValueError("a named reviewer needs the date of the review (reviewed: YYYY-MM-DD)")
        return self


class ModuleFile(FileModel):
    """A module file: a topic area and its sessions."""

    id: Slug
    number: int = Field(ge=1)
    title: Text
    summary: Text
    review: ReviewFile
    template: Slug | None = None
    follows: Slug | None = None
    goal_setting: GoalSettingFile | None = None
    sessions: list[SessionFile] = Field(min_length=1)


class AdditionFile(FileModel):
    """What an ``additions`` variant adds to one core session."""

    session: int = Field(ge=1)
    slides: list[SlideEntry] = Field(default_factory=list)
    role_plays: list[RolePlayEntry] = Field(default_factory=list)
    exercises: list[ExerciseEntry] = Field(default_factory=list)
    home_practice: HomePracticeFile | None = None
    leader_notes: list[Text] = Field(default_factory=list)


class AdditionsFile(FileModel):
    """An ``additions`` variant's file for one core module."""

    module: Slug
    review: ReviewFile
    additions: list[AdditionFile] = Field(min_length=1)


class VariantFile(FileModel):
    """A variant's ``variant.yaml``: what it is and how it reuses the core."""

    id: Slug
    title: Text
    kind: VariantKind
    description: Text
    reading_grade_max: float = Field(default=6.0, ge=1, le=12)
    activities_per_session: int = Field(default=1, ge=1, le=6)
    leader_guidelines: list[Text] = Field(default_factory=list)


class PlanFile(FileModel):
    """A plan: format, which variant, module order, open enrollment."""

    id: Slug
    title: Text
    format: PlanFormat
    description: Text
    variant: Slug | None = None
    modules: list[Slug] | None = None
    open_enrollment: bool = False
    entry_module: Slug | None = None
    opening: Text | None = None


class RelaxationFile(FileModel):
    """``relaxation.yaml``: short exercises that can open any session."""

    exercises: list[ExerciseFile] = Field(min_length=1)


class StandardAgendaFile(FileModel):
    """``agenda.yaml``: the usual IMR session shape with default texts."""

    steps: list[AgendaStepFile] = Field(min_length=1)


class TemplateSectionFile(FileModel):
    """A section every module built on a template must have: a slide key in a session."""

    key: Slug
    session: int = Field(ge=1)
    title: Text
    purpose: Text


class TemplateFile(FileModel):
    """``templates/<id>.yaml``: the sections a family of modules shares."""

    id: Slug
    title: Text
    description: Text
    sections: list[TemplateSectionFile] = Field(min_length=1)


class TermFile(FileModel):
    """A word a grade-6 reader may not know, and what it means in plain words."""

    term: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z' -]*$")]
    forms: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z' -]*$")]] = Field(
        default_factory=list
    )
    means: Text


class GlossaryFile(FileModel):
    """``glossary.yaml``: hard words and their meanings, plus everyday words the list lacks."""

    terms: list[TermFile] = Field(min_length=1)
    plain_words: list[Annotated[str, StringConstraints(pattern=r"^[a-z][a-z']*$")]] = Field(
        default_factory=list
    )
