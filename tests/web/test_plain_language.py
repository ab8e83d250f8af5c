"""The pages clients and supporters read are written plainly: grade 6 or below.

The words are taken from the templates as a person sees them (tags and template
code removed, each line a sentence). Flesch-Kincaid is unreliable on a single
short line, so each page is measured as a whole (measured 2026-12-03: 1.3-3.6).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.curriculum.reading import grade

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
CLIENT_PAGES = (
    "join.html",
    "_room.html",
    "_safety.html",
    "my_imr.html",
    "link_problem.html",
)
MAX_GRADE = 6.0


def words_shown(html: str) -> str:
    """A template's visible words, one sentence per line of text."""
    html = re.sub(r"\{[%#].*?[%#]\}|\{\{.*?\}\}", " ", html, flags=re.S)
    html = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", html, flags=re.S)
    lines = (" ".join(line.split()) for line in re.sub(r"<[^>]+>", "\n", html).splitlines())
    return " ".join(line if line[-1] in ".!?:" else f"{line}." for line in lines if line)


@pytest.mark.parametrize("page", CLIENT_PAGES)
def test_a_page_clients_read_is_at_grade_six_or_below(page: str) -> None:
    text = words_shown((TEMPLATES / page).read_text(encoding="utf-8"))
    assert len(text.split()) > 50, "the page's words were not found"
    assert grade(text) <= MAX_GRADE, (page, round(grade(text), 1))


def test_the_measure_tells_hard_text_from_plain() -> None:
    hard = "<p>Notwithstanding organisational considerations, psychoeducational interventions necessitate comprehensive documentation.</p>"
    plain = "<p>We meet each week. You can bring a friend.</p>"
    assert grade(words_shown(hard)) > MAX_GRADE >= grade(words_shown(plain))
