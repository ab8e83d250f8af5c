"""The clinical review of issue 15: safety messages clients must see, in the sessions they run."""

from __future__ import annotations

from imr_live.curriculum import Curriculum, ScriptSession


def client_words(session: ScriptSession) -> str:
    """Everything on a session's slides, lowercase."""
    return " ".join(" ".join([s.title, *s.points, *s.questions]) for s in session.slides).lower()


def test_medicine_and_substances_says_never_stop_alone_and_tell_the_prescriber(
    curriculum: Curriculum,
) -> None:
    slide = curriculum.slide(
        "co-occurring-substance-use/using-medication-effectively/2/medicine-and-substances"
    )
    text = " ".join(slide.points)
    assert "Keep taking medicine" not in text
    assert "Don't stop or change your medicine on your own" in text
    assert "Tell your prescriber about any use" in text


def test_the_voices_slide_says_what_to_do_when_voices_say_to_hurt(
    curriculum: Curriculum,
) -> None:
    for ref in ("coping-with-problems-and-symptoms/3", "targeted/distressing-symptoms/1"):
        slides = {s.id: s for s in curriculum.session(ref).slides}
        voices = slides["coping-with-problems-and-symptoms/3/coping-with-voices"]
        text = " ".join(voices.points)
        assert "hurt yourself or someone" in text, ref
        assert "988" in text and "911" in text and "clinician" in text, ref


def test_the_substance_sessions_warn_about_withdrawal_and_overdose(
    curriculum: Curriculum,
) -> None:
    words = " ".join(client_words(curriculum.session(f"drug-and-alcohol-use/{n}")) for n in (2, 3))
    assert "stopping all at once can be dangerous" in words
    assert "benzodiazepines" in words and "withdrawal" in words
    assert "overdose" in words and "naloxone" in words and "call 911" in words


def test_the_targeted_substance_plan_carries_the_same_warnings(curriculum: Curriculum) -> None:
    words = " ".join(client_words(s) for s in curriculum.module("targeted/substance-use").sessions)
    assert "withdrawal" in words and "naloxone" in words


def test_medicine_sessions_warn_about_weight_blood_sugar_and_quitting_smoking(
    curriculum: Curriculum,
) -> None:
    medicine = client_words(curriculum.session("using-medication-effectively/2"))
    assert "antipsychotics can cause weight gain" in medicine
    assert "blood sugar" in medicine
    lifestyle = client_words(curriculum.session("healthy-lifestyles/3"))
    assert "tell your prescriber if you quit" in lifestyle


def test_i_imr_teaches_the_signs_of_low_blood_sugar(curriculum: Curriculum) -> None:
    words = client_words(curriculum.session("co-occurring-medical-illness/healthy-lifestyles/1"))
    assert "low blood sugar" in words and "shaky" in words and "fast sugar" in words


def test_the_simplified_version_tells_people_how_to_get_help_now(
    curriculum: Curriculum,
) -> None:
    for ref in (
        "simplified/recovery-strategies/1",
        "simplified/coping-with-problems-and-symptoms/1",
        "simplified/reducing-relapses/1",
    ):
        words = client_words(curriculum.session(ref))
        assert "get help now" in words and "988" in words and "911" in words, ref


def test_simplified_pill_box_practice_never_uses_sweets(curriculum: Curriculum) -> None:
    exercise = curriculum.exercise("simplified/using-medication-effectively/1/pill-box")
    text = " ".join(exercise.instructions).lower()
    assert "sweets or beads" not in text and "use beads or buttons" in text
    assert "never use sweets" in text


def test_prescriber_is_in_the_glossary_and_explained_on_first_use(
    curriculum: Curriculum,
) -> None:
    term = curriculum.glossary.term_for("prescriber")
    assert term is not None and "medicine" in term.means
    scenario = curriculum.role_play("using-medication-effectively/1/ask-about-a-medicine").scenario
    assert curriculum.glossary.explains(scenario, term)
