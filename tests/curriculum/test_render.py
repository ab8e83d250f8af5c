"""Slides render to accessible, escaped HTML and to the payload the live channel sends."""

from __future__ import annotations

from imr_live.curriculum import (
    Curriculum,
    Slide,
    render_slide_html,
    role_play_payload,
    slide_payload,
    slide_stylesheet,
)


def make_slide(**changes: object) -> Slide:
    """A small slide for rendering tests."""
    fields: dict[str, object] = {
        "id": "coping-with-stress/1/signs",
        "title": "Signs of stress",
        "points": ["Your heart beats fast.", "You feel tense."],
        "questions": ["What do you notice?"],
        "session_ref": "coping-with-stress/1",
    }
    fields.update(changes)
    return Slide(**fields)  # type: ignore[arg-type]


def test_slide_html_has_the_title_points_and_questions() -> None:
    html = render_slide_html(make_slide())
    assert '<h2 class="imr-slide__title" id="slide-coping-with-stress--1--signs-title">' in html
    assert "Signs of stress" in html
    assert "<li>Your heart beats fast.</li>" in html
    assert "<li>What do you notice?</li>" in html


def test_slide_html_is_a_labelled_section_without_scripts() -> None:
    html = render_slide_html(make_slide())
    assert html.startswith('<section class="imr-slide" id="slide-coping-with-stress--1--signs"')
    assert 'aria-labelledby="slide-coping-with-stress--1--signs-title"' in html
    assert "<script" not in html and " on" not in html.replace(" one", "")


def test_script_text_is_escaped_so_it_cannot_inject_markup() -> None:
    slide = make_slide(title="Me & <b>you</b>", points=['<script>alert("x")</script>'])
    html = render_slide_html(slide)
    assert "Me &amp; &lt;b&gt;you&lt;/b&gt;" in html
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_a_slide_explains_its_glossary_words_under_words_to_know(curriculum: Curriculum) -> None:
    html = render_slide_html(curriculum.slide("using-medication-effectively/1/types-of-medicine"))
    assert '<h3 class="imr-slide__words-title"' in html and "Words to know" in html
    assert "<dt>antipsychotic</dt>" in html
    assert "<dd>A medicine that helps with voices" in html


def test_a_slide_without_glossary_words_has_no_word_list() -> None:
    assert "imr-slide__words" not in render_slide_html(make_slide())


def test_a_slide_without_questions_has_no_discussion_list() -> None:
    html = render_slide_html(make_slide(questions=[]))
    assert "imr-slide__questions" not in html


def test_the_payload_carries_id_text_and_html(curriculum: Curriculum) -> None:
    slide = curriculum.slide("recovery-strategies/1/what-is-recovery")
    payload = slide_payload(slide)
    assert payload == {
        "id": slide.id,
        "title": slide.title,
        "points": slide.points,
        "questions": slide.questions,
        "words": [{"term": w.term, "means": w.means} for w in slide.words],
        "html": render_slide_html(slide),
    }


def test_same_slide_id_renders_the_same_html_for_everyone(curriculum: Curriculum) -> None:
    slide_id = "recovery-strategies/1/welcome"
    first = slide_payload(curriculum.slide(slide_id))
    again = slide_payload(curriculum.slide(slide_id))
    assert first == again


def test_every_shipped_slide_renders(curriculum: Curriculum) -> None:
    for slide in curriculum.slides:
        assert slide.title.split("&")[0].split("'")[0] in render_slide_html(slide)


def test_the_stylesheet_sets_large_type_and_a_focus_ring() -> None:
    css = slide_stylesheet()
    assert "font-size: 1.75rem" in css and ":focus-visible" in css


def test_a_role_play_payload_tells_everyone_the_scenario_roles_and_steps(
    curriculum: Curriculum,
) -> None:
    role_play = curriculum.role_play("recovery-strategies/2/ask-support-for-goal")
    payload = role_play_payload(role_play)
    assert payload["id"] == role_play.id and payload["scenario"] == role_play.scenario
    assert [r["name"] for r in payload["roles"]] == ["client", "supporter", "leader"]
    assert [s["kind"] for s in payload["steps"]] == [
        "model",
        "practise",
        "feedback",
        "suggestion",
        "practise_again",
    ]
