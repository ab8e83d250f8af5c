"""Slides are easy to read: Flesch-Kincaid grade <= 7 in the core, lower where a variant says."""

from __future__ import annotations

import textstat

from imr_live.curriculum import Curriculum, Slide

CORE_MAX_GRADE = 7.0
SIMPLIFIED_MAX_GRADE = 5.0


def slide_text(slide: Slide) -> str:
    """The slide as prose: each title, point and question a sentence of its own."""
    parts = [slide.title, *slide.points, *slide.questions]
    return " ".join(p if p.rstrip()[-1:] in ".?!" else p.rstrip() + "." for p in parts)


def grade(slide: Slide) -> float:
    """Flesch-Kincaid grade of one slide."""
    return float(textstat.flesch_kincaid_grade(slide_text(slide)))


def too_hard(slides: list[Slide], limit: float) -> list[str]:
    """One line per slide over the limit: file:line, slide id and grade."""
    return [
        f"{s.source} {s.id}: grade {grade(s):.1f} > {limit}" for s in slides if grade(s) > limit
    ]


def variant_slides(curriculum: Curriculum, variant_id: str) -> list[Slide]:
    """The slides a variant shows, each once (including core slides it reuses)."""
    modules = curriculum.variant(variant_id).modules
    unique = {s.id: s for m in modules for session in m.sessions for s in session.slides}
    return list(unique.values())


def test_core_slides_read_at_grade_seven_or_below(curriculum: Curriculum) -> None:
    slides = [s for m in curriculum.modules for session in m.sessions for s in session.slides]
    assert too_hard(slides, CORE_MAX_GRADE) == []


def test_simplified_slides_read_at_grade_five_or_below(curriculum: Curriculum) -> None:
    assert curriculum.variant("simplified").reading_grade_max == SIMPLIFIED_MAX_GRADE
    assert too_hard(variant_slides(curriculum, "simplified"), SIMPLIFIED_MAX_GRADE) == []


def test_every_variant_keeps_its_own_reading_level(curriculum: Curriculum) -> None:
    for variant in curriculum.variants:
        limit = min(variant.reading_grade_max, CORE_MAX_GRADE)
        assert too_hard(variant_slides(curriculum, variant.id), limit) == [], variant.id


def test_a_hard_slide_is_reported_with_its_file_and_id() -> None:
    words = "Comprehensive psychopharmacological interventions necessitate individualized"
    slide = Slide("m/1/hard", "Hard", [words + " considerations."], [], "m/1", "modules/m.yaml:7")
    (line,) = too_hard([slide], CORE_MAX_GRADE)
    assert line.startswith("modules/m.yaml:7 m/1/hard: grade ")
