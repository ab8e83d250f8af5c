"""Adapts the loaded curriculum to what the live channel needs (``ScriptLibrary``)."""

from __future__ import annotations

from pathlib import Path

from imr_live.curriculum import Curriculum, load_curriculum
from imr_live.curriculum.render import slide_payload
from imr_live.domain.scripts import RolePlayContent, SlideContent


class CurriculumLibrary:
    """Slides and role plays of the session scripts, by stable id."""

    def __init__(self, curriculum: Curriculum) -> None:
        self.curriculum = curriculum
        self._slides: dict[str, SlideContent] = {}

    def deck(self, script_ref: str) -> list[str]:
        """Slide ids of a script session in order."""
        return [s.id for s in self.curriculum.session(script_ref).slides]

    def slide(self, slide_id: str) -> SlideContent:
        """The broadcast form of a slide (cached: the same id is the same content)."""
        if slide_id not in self._slides:
            payload = slide_payload(self.curriculum.slide(slide_id))
            self._slides[slide_id] = SlideContent.model_validate(payload)
        return self._slides[slide_id]

    def role_play(self, role_play_id: str) -> RolePlayContent:
        """A role play's id, title, scenario, roles and steps."""
        rp = self.curriculum.role_play(role_play_id)
        return RolePlayContent.model_validate(
            {
                "id": rp.id,
                "title": rp.title,
                "scenario": rp.scenario,
                "roles": [{"name": r.name, "description": r.description} for r in rp.roles],
                "steps": [{"kind": str(s.kind), "text": s.text} for s in rp.steps],
            }
        )


def load_library(scripts_dir: Path | None) -> CurriculumLibrary:
    """Load and validate every script file; raises CurriculumInvalid listing all problems."""
    from imr_live.curriculum import DEFAULT_SCRIPTS_DIR

    return CurriculumLibrary(load_curriculum(scripts_dir or DEFAULT_SCRIPTS_DIR))
