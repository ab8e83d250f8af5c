"""Checks on single script files: schema errors made readable, and IMR rules.

Cross-file checks (ids, references, variants, plans) live in ``assembly``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import ValidationError

from imr_live.curriculum.models import FLOWS, STANDARD_KINDS, STEP_ORDER
from imr_live.curriculum.problems import Problem
from imr_live.curriculum.schema import TAG_PREFIX, ModuleFile, RolePlayFile, SessionFile, UseRef
from imr_live.curriculum.yaml_source import Path_, SourceFile

CORE_SESSIONS = (2, 4)
VARIANT_SESSIONS = (1, 4)


def schema_problems(source: SourceFile, error: ValidationError) -> list[Problem]:
    """One problem per pydantic error, located by field path and line."""
    problems = []
    for item in error.errors():
        path = tuple(p for p in item["loc"] if not str(p).startswith(TAG_PREFIX))
        problems.append(source.problem(path, _expected(item)))
    return problems


def _expected(item: Any) -> str:
    """Plain words for a pydantic error: what is wrong and what is expected."""
    kind = item["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling against docs/session-scripts.md)"
    if kind == "string_pattern_mismatch":
        return "expected lowercase words joined by hyphens, like 'coping-with-stress'"
    return f"expected a valid value: {item['msg']}"


def module_problems(source: SourceFile, module: ModuleFile, *, core: bool) -> list[Problem]:
    """IMR rules for one module file: session count and numbers, then each session."""
    low, high = CORE_SESSIONS if core else VARIANT_SESSIONS
    problems = []
    if not low <= len(module.sessions) <= high:
        problems.append(source.problem(("sessions",), f"expected {low} to {high} sessions"))
    for index, session in enumerate(module.sessions):
        path: Path_ = ("sessions", index)
        if session.number != index + 1:
            problems.append(source.problem((*path, "number"), f"expected {index + 1} (in order)"))
        problems.extend(session_problems(source, path, session))
    if core and not any(session.role_plays for session in module.sessions):
        problems.append(source.problem(("sessions",), "expected at least one role play"))
    problems.extend(_goal_setting_problems(source, module))
    return problems


def session_problems(source: SourceFile, path: Path_, session: SessionFile) -> list[Problem]:
    """A session needs practice and an agenda in IMR's usual shape."""
    problems = list(agenda_problems(source, path, session))
    if not session.role_plays and not session.exercises:
        message = "expected at least one role play or exercise for the practice step"
        problems.append(source.problem((*path, "role_plays"), message))
    for index, role_play in enumerate(session.role_plays):
        if not isinstance(role_play, UseRef):
            problems.extend(role_play_problems(source, (*path, "role_plays", index), role_play))
    return problems


def agenda_problems(source: SourceFile, path: Path_, session: SessionFile) -> Iterator[Problem]:
    """The agenda follows the session's flow (IMR: check-in .. summary); relaxation only first."""
    if session.agenda is None:
        return
    kinds = [e if isinstance(e, str) else e.kind for e in session.agenda]
    if kinds and kinds[0] == "relaxation":
        kinds = kinds[1:]
        if session.opening is None:
            yield source.problem((*path, "opening"), "a relaxation step needs an opening exercise")
    if tuple(kinds) != FLOWS[session.flow]:
        expected = ", ".join(FLOWS[session.flow])
        yield source.problem((*path, "agenda"), f"expected steps in this order: {expected}")


def role_play_problems(source: SourceFile, path: Path_, role_play: RolePlayFile) -> list[Problem]:
    """Roles are named once each and include the client; steps keep training order."""
    problems = []
    names = [role.name for role in role_play.roles]
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append(source.problem((*path, "roles", index, "name"), "role named twice"))
    if "client" not in names:
        problems.append(source.problem((*path, "roles"), "expected a 'client' role"))
    written = list(_raw(source.data, (*path, "steps")) or ())
    if written != list(STEP_ORDER):
        message = f"expected steps in training order: {', '.join(STEP_ORDER)}"
        problems.append(source.problem((*path, "steps"), message))
    return problems


def _goal_setting_problems(source: SourceFile, module: ModuleFile) -> list[Problem]:
    """Goal-setting sessions must exist in the module."""
    if module.goal_setting is None:
        return []
    numbers = {s.number for s in module.sessions}
    return [
        source.problem(("goal_setting", "sessions", i), f"no session {n} in this module")
        for i, n in enumerate(module.goal_setting.sessions)
        if n not in numbers
    ]


def standard_agenda_problems(
    source: SourceFile, kinds: Sequence[str], texts: Sequence[Any]
) -> list[Problem]:
    """agenda.yaml gives every kind once, each with its default text."""
    problems = []
    expected = list(STANDARD_KINDS)
    if list(kinds) != expected:
        problems.append(source.problem(("steps",), f"expected kinds: {', '.join(expected)}"))
    for index, text in enumerate(texts):
        if text is None:
            problems.append(source.problem(("steps", index, "text"), "expected a default text"))
    return problems


def stem_problem(source: SourceFile, declared: str, stem: str, field: str) -> list[Problem]:
    """A file (or folder) is named after the id it declares, so people can find it."""
    if declared == stem:
        return []
    return [source.problem((field,), f"expected '{stem}' to match the file or folder name")]


def _raw(data: Any, path: Path_) -> Any:
    """The raw YAML value at ``path`` (None if absent)."""
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return None
    return data
