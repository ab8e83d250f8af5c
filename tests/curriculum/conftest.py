"""Fixtures: the shipped curriculum, and a scratch copy of it to break on purpose."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from imr_live.curriculum import DEFAULT_SCRIPTS_DIR, Curriculum, load_curriculum

# A small valid module added to a copy of the shipped set; tests break it in one
# place and check the error names that place. Keep line numbers in mind when editing.
EXTRA_MODULE = """\
id: practice-module
number: 99
title: Practice module
summary: A module used only by tests.
review:
  reviewer: pending
  reviewed: null
sessions:
  - number: 1
    title: First session
    minutes: 45
    slides:
      - key: first
        title: A first slide
        points:
          - This is a point.
        questions:
          - What do you think?
      - use: recovery-strategies/1/welcome
    role_plays:
      - key: asking
        title: Asking for help
        scenario: You ask a friend for help.
        roles:
          - name: client
            description: Asks for help.
          - name: leader
            description: Models and coaches.
        steps:
          model: The leader shows how.
          practise: The client tries.
          feedback: The group says what went well.
          suggestion: The leader gives one idea.
          practise_again: The client tries again.
    home_practice:
      key: try-it
      text: Try it once this week.
    summary:
      - Asking for help is a skill.
    leader_notes:
      - Keep it short.
  - number: 2
    title: Second session
    minutes: 45
    slides:
      - key: second
        title: A second slide
        points:
          - Another point.
    exercises:
      - key: list-it
        title: Make a list
        instructions:
          - Write three things.
    home_practice:
      key: again
      text: Do it again.
    summary:
      - Practice helps.
    leader_notes:
      - Be kind.
"""

# Two more activities per session (reused relaxation exercises) for the simplified copy.
SIMPLIFIED_EXTRA_MODULE = EXTRA_MODULE.replace(
    "    home_practice:\n      key: try-it\n",
    "    exercises:\n      - use: relaxation/calm-breathing\n      - use: relaxation/five-senses\n"
    "    home_practice:\n      key: try-it\n",
).replace(
    "          - Write three things.\n",
    "          - Write three things.\n      - use: relaxation/calm-breathing\n"
    "      - use: relaxation/five-senses\n",
)


@pytest.fixture(scope="session")
def curriculum() -> Curriculum:
    """The shipped script set, loaded once."""
    return load_curriculum(DEFAULT_SCRIPTS_DIR)


@pytest.fixture
def scripts(tmp_path: Path) -> Path:
    """A copy of the shipped scripts plus the test module, free to break."""
    root = tmp_path / "session_scripts"
    shutil.copytree(DEFAULT_SCRIPTS_DIR, root)
    (root / "modules" / "practice-module.yaml").write_text(EXTRA_MODULE, encoding="utf-8")
    # The simplified variant must adapt every core module, so it gets a copy too,
    # with the extra activities that variant asks of every session.
    simplified = root / "variants" / "simplified" / "practice-module.yaml"
    simplified.write_text(SIMPLIFIED_EXTRA_MODULE, encoding="utf-8")
    return root


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    """The 1-based line of the ``nth`` line containing ``fragment``."""
    hits = [i for i, line in enumerate(text.splitlines(), 1) if fragment in line]
    return hits[nth - 1]
