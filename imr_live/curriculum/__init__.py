"""The IMR curriculum as data: load, validate, look up and render session scripts.

Plain Python: no aiohttp or socketio here, so the live channel, the CLI and the
tests all use the same code. See docs/session-scripts.md for the file format.
"""

from imr_live.curriculum.curriculum import Curriculum
from imr_live.curriculum.goals import GoalEntry, GoalWorksheet, ShortTermGoal
from imr_live.curriculum.loader import DEFAULT_SCRIPTS_DIR, check_curriculum, load_curriculum
from imr_live.curriculum.models import (
    AgendaStep,
    Exercise,
    HomeAssignment,
    Module,
    RolePlay,
    RolePlayRole,
    RolePlayStep,
    ScriptSession,
    Slide,
    Variant,
)
from imr_live.curriculum.plans import Enrollment, Plan
from imr_live.curriculum.problems import CurriculumInvalid, Problem
from imr_live.curriculum.render import (
    render_slide_html,
    role_play_payload,
    slide_payload,
    slide_stylesheet,
)

__all__ = [
    "DEFAULT_SCRIPTS_DIR",
    "AgendaStep",
    "Curriculum",
    "CurriculumInvalid",
    "Enrollment",
    "Exercise",
    "GoalEntry",
    "GoalWorksheet",
    "HomeAssignment",
    "Module",
    "Plan",
    "Problem",
    "RolePlay",
    "RolePlayRole",
    "RolePlayStep",
    "ScriptSession",
    "ShortTermGoal",
    "Slide",
    "Variant",
    "check_curriculum",
    "load_curriculum",
    "render_slide_html",
    "role_play_payload",
    "slide_payload",
    "slide_stylesheet",
]
