"""Client text is easy to read: grade 6 in the core, grade 4 in the simplified version.

Every client-facing text is checked (slides, role plays, coaching steps,
exercises, home practice, summaries, the goal worksheet, relaxation), per
passage and per module, by Flesch-Kincaid grade and by a plain-word check that
also works on short texts; glossary terms are explained where a module first
uses them.
"""

from __future__ import annotations

import pytest

from imr_live.curriculum import Curriculum, Module, Slide
from imr_live.curriculum.glossary import Glossary
from imr_live.curriculum.models import GlossaryTerm
from imr_live.curriculum.passages import Passage, slide_passage

from .reading import (
    client_passages,
    first_uses_unexplained,
    grade,
    module_text,
    relaxation_passages,
    unexplained_words,
)

CORE_MAX_GRADE = 6.0
SIMPLIFIED_MAX_GRADE = 4.0


def too_hard(passages: list[Passage], limit: float) -> list[str]:
    """One line per passage over the grade limit: where, what and its grade."""
    return [
        f"{p.source or p.kind} {p.id}: grade {grade(p.text):.1f} > {limit}"
        for p in passages
        if grade(p.text) > limit
    ]


def modules_too_hard(modules: list[Module], limit: float) -> list[str]:
    """One line per module whose client text as a whole is over the grade limit."""
    return [
        f"{m.id}: grade {grade(module_text(m)):.1f} > {limit}"
        for m in modules
        if grade(module_text(m)) > limit
    ]


def with_hard_words(passages: list[Passage], glossary: Glossary) -> list[str]:
    """One line per passage that uses words neither common nor in the glossary."""
    lines = []
    for passage in passages:
        words = unexplained_words(passage, glossary)
        if words:
            lines.append(f"{passage.kind} {passage.id}: {', '.join(words)}")
    return lines


def limit_of(curriculum: Curriculum, variant_id: str | None) -> float:
    """The grade limit of the core or a variant (never above the core's)."""
    if variant_id is None:
        return CORE_MAX_GRADE
    return min(curriculum.variant(variant_id).reading_grade_max, CORE_MAX_GRADE)


def every_text_set(curriculum: Curriculum) -> list[str | None]:
    """The core (None) and every variant."""
    return [None, *(v.id for v in curriculum.variants)]


def test_core_client_text_reads_at_grade_six_or_below(curriculum: Curriculum) -> None:
    passages = client_passages(curriculum, None) + relaxation_passages(curriculum)
    assert too_hard(passages, CORE_MAX_GRADE) == []


def test_simplified_client_text_reads_at_grade_four_or_below(curriculum: Curriculum) -> None:
    assert curriculum.variant("simplified").reading_grade_max == SIMPLIFIED_MAX_GRADE
    assert too_hard(client_passages(curriculum, "simplified"), SIMPLIFIED_MAX_GRADE) == []


def test_every_variant_keeps_its_own_reading_level(curriculum: Curriculum) -> None:
    for variant in curriculum.variants:
        limit = limit_of(curriculum, variant.id)
        assert too_hard(client_passages(curriculum, variant.id), limit) == [], variant.id


def test_every_module_as_a_whole_reads_at_its_level(curriculum: Curriculum) -> None:
    assert modules_too_hard(curriculum.modules, CORE_MAX_GRADE) == []
    for variant in curriculum.variants:
        limit = limit_of(curriculum, variant.id)
        assert modules_too_hard(variant.modules, limit) == [], variant.id


def test_client_text_uses_plain_words_or_glossary_terms(curriculum: Curriculum) -> None:
    for text_set in every_text_set(curriculum):
        passages = client_passages(curriculum, text_set) + relaxation_passages(curriculum)
        assert with_hard_words(passages, curriculum.glossary) == [], text_set


def test_glossary_terms_are_explained_where_a_module_first_uses_them(
    curriculum: Curriculum,
) -> None:
    modules = curriculum.modules + [m for v in curriculum.variants for m in v.modules]
    assert [line for m in modules for line in first_uses_unexplained(m, curriculum.glossary)] == []


def test_glossary_meanings_read_at_grade_six_or_below(curriculum: Curriculum) -> None:
    meanings = [Passage("glossary", t.term, t.means) for t in curriculum.glossary.terms]
    assert too_hard(meanings, CORE_MAX_GRADE) == []


def test_slides_show_the_glossary_words_they_use(curriculum: Curriculum) -> None:
    slide = curriculum.slide("using-medication-effectively/1/types-of-medicine")
    assert "antipsychotic" in [w.term for w in slide.words]


def test_a_hard_slide_is_reported_with_its_file_and_id() -> None:
    words = "Comprehensive psychopharmacological interventions necessitate individualized"
    slide = Slide("m/1/hard", "Hard", [words + " considerations."], [], "m/1", "modules/m.yaml:7")
    (line,) = too_hard([slide_passage(slide)], CORE_MAX_GRADE)
    assert line.startswith("modules/m.yaml:7 m/1/hard: grade ")


def test_a_short_text_with_a_hard_word_fails_the_plain_word_check() -> None:
    term = GlossaryTerm("prescriber", "The doctor who orders your medicine.")
    glossary = Glossary([term], frozenset())
    short = Passage("home-practice", "m/1/ask", "Ask your psychopharmacologist.")
    assert with_hard_words([short], glossary) == ["home-practice m/1/ask: psychopharmacologist"]


@pytest.mark.parametrize(
    ("text", "explained"),
    [
        ("Ask your prescriber (the doctor who orders your medicine).", True),
        ("Ask your prescriber.", False),
    ],
)
def test_a_term_outside_a_slide_is_explained_in_brackets(text: str, explained: bool) -> None:
    term = GlossaryTerm("prescriber", "The doctor who orders your medicine.")
    assert Glossary([term], frozenset()).explains(text, term) is explained


def test_words_to_know_read_at_the_level_of_the_slides_that_show_them(
    curriculum: Curriculum,
) -> None:
    for text_set in every_text_set(curriculum):
        modules = curriculum.modules if text_set is None else curriculum.variant(text_set).modules
        shown = {
            w.term: w for m in modules for s in m.sessions for sl in s.slides for w in sl.words
        }
        meanings = [Passage("glossary", t.term, t.means) for t in shown.values()]
        assert too_hard(meanings, limit_of(curriculum, text_set)) == [], text_set
