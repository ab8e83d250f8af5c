"""What the live channel needs from the curriculum (decks, slides, role plays)."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict

from imr_live.domain.event_data import RolePlayRole, RolePlayStep


class SlideContent(BaseModel):
    """A slide as it is drawn for everyone: text for screen readers and large-type HTML."""

    model_config = ConfigDict(frozen=True)
    id: str
    title: str
    points: list[str]
    questions: list[str]
    html: str


class RolePlayContent(BaseModel):
    """A role play from the script: scenario, roles to cast and steps to read."""

    model_config = ConfigDict(frozen=True)
    id: str | None
    title: str
    scenario: str
    roles: list[RolePlayRole]
    steps: list[RolePlayStep]


class ScriptLibrary(Protocol):
    """Session-script content addressed by stable ids."""

    def deck(self, script_ref: str) -> list[str]:
        """Slide ids of a script session, in order; NotFound if the ref is unknown."""

    def slide(self, slide_id: str) -> SlideContent:
        """A slide's content as broadcast."""

    def role_play(self, role_play_id: str) -> RolePlayContent:
        """A role play's id, title, scenario, roles and steps; NotFound if unknown."""
