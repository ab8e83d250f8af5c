"""Problems found in a script set, and the error that carries all of them."""

from __future__ import annotations

from dataclasses import dataclass

from imr_live.errors import InvalidInput


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one script file, located as precisely as we can."""

    file: str
    """Path of the file, relative to the script root."""
    line: int | None
    """1-based line of the field (or of its nearest parent) when known."""
    field: str
    """Field path inside the file, e.g. ``sessions[0].slides[2].title``."""
    message: str
    """What is wrong and what is expected, in plain words."""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field or '(file)'}: {self.message}"


class CurriculumInvalid(InvalidInput):
    """The script set has problems; ``problems`` lists every one of them."""

    code = "curriculum_invalid"

    def __init__(self, problems: list[Problem]) -> None:
        shown = "\n".join(str(p) for p in problems[:20])
        more = f"\n... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"{len(problems)} problem(s) in session scripts:\n{shown}{more}")
        self.problems = problems
