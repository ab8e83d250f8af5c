"""The shipped session scripts are complete, valid and consistent."""

from __future__ import annotations

from imr_live.curriculum import DEFAULT_SCRIPTS_DIR, Curriculum, check_curriculum
from imr_live.curriculum.models import FLOWS

TOPIC_AREAS = [
    "recovery-strategies",
    "practical-facts",
    "stress-vulnerability-model",
    "building-social-support",
    "using-medication-effectively",
    "drug-and-alcohol-use",
    "reducing-relapses",
    "coping-with-stress",
    "coping-with-problems-and-symptoms",
    "getting-your-needs-met",
    "healthy-lifestyles",
]
AGENDA = ["check_in", "review", "new_material", "practice", "home_practice", "summary"]


def test_every_shipped_file_validates() -> None:
    assert check_curriculum(DEFAULT_SCRIPTS_DIR) == []


def test_all_imr_topic_areas_are_modules_in_order(curriculum: Curriculum) -> None:
    assert [m.id for m in curriculum.modules] == TOPIC_AREAS


def test_every_module_has_two_to_four_sessions(curriculum: Curriculum) -> None:
    for module in curriculum.modules:
        assert 2 <= len(module.sessions) <= 4, module.id


def test_every_session_has_slides_practice_and_home_practice(curriculum: Curriculum) -> None:
    for ref in curriculum.session_refs:
        session = curriculum.session(ref)
        assert session.slides, ref
        assert session.role_plays or session.exercises, ref
        assert session.home_assignment.text, ref
        assert session.leader_notes and session.summary, ref


def test_every_module_has_a_role_play(curriculum: Curriculum) -> None:
    for module in curriculum.modules:
        assert any(s.role_plays for s in module.sessions), module.id


def test_every_agenda_follows_the_imr_session_shape(curriculum: Curriculum) -> None:
    for ref in curriculum.session_refs:
        session = curriculum.session(ref)
        kinds = [step.kind for step in session.agenda]
        expected = AGENDA if session.flow == "imr" else list(FLOWS[session.flow])
        assert [k for k in kinds if k != "relaxation"] == expected, ref
        assert "relaxation" not in kinds[1:], ref


def test_the_support_group_and_graduation_keep_their_own_flow(curriculum: Curriculum) -> None:
    group = curriculum.session("recovery-support/recovery-support-group/1")
    assert [s.kind for s in group.agenda] == [
        "check_in",
        "sharing",
        "new_material",
        "practice",
        "planning",
        "home_practice",
        "summary",
    ]
    graduation = curriculum.session("recovery-support/graduation/1")
    kinds = [s.kind for s in graduation.agenda]
    assert kinds[0] == "welcome" and "recognition" in kinds and kinds[-1] == "celebration"
    step = next(s for s in graduation.agenda if s.kind == "practice")
    assert step.exercise_ids == ["recovery-support/graduation/1/my-recovery-story"]
    assert "recovery story" in step.text


def test_agenda_steps_point_at_the_sessions_own_content(curriculum: Curriculum) -> None:
    for ref in curriculum.session_refs:
        session = curriculum.session(ref)
        steps = {step.kind: step for step in session.agenda}
        assert steps["new_material"].slide_ids == [s.id for s in session.slides]
        assert steps["practice"].role_play_ids == [r.id for r in session.role_plays]
        assert steps["home_practice"].assignment_id == session.home_assignment.id


def test_role_plays_follow_the_skills_training_order(curriculum: Curriculum) -> None:
    order = ["model", "practise", "feedback", "suggestion", "practise_again"]
    for ref in curriculum.session_refs:
        for role_play in curriculum.session(ref).role_plays:
            assert [s.kind for s in role_play.steps] == order, role_play.id
            assert "client" in role_play.role_names, role_play.id


def test_every_variant_resolves_to_existing_content(curriculum: Curriculum) -> None:
    for variant in curriculum.variants:
        assert variant.modules, variant.id
        for module in variant.modules:
            for session in module.sessions:
                assert curriculum.session(session.ref) is session
                for slide in session.slides:
                    assert curriculum.slide(slide.id) == slide
                for role_play in session.role_plays:
                    assert curriculum.role_play(role_play.id) == role_play


def test_the_variants_are_shipped(curriculum: Curriculum) -> None:
    kinds = {v.id: v.kind for v in curriculum.variants}
    assert kinds == {
        "co-occurring-substance-use": "additions",
        "co-occurring-medical-illness": "additions",
        "simplified": "adapted",
        "targeted": "targeted",
        "other-disorders": "additions",
        "forensic": "additions",
        "recovery-support": "targeted",
    }


def test_targeted_plans_cover_the_urgent_needs(curriculum: Curriculum) -> None:
    keys = {m.key for m in curriculum.variant("targeted").modules}
    assert keys == {"distressing-symptoms", "substance-use", "relapse", "medication-problems"}


def test_simplified_version_adapts_every_core_module(curriculum: Curriculum) -> None:
    simplified = [m.key for m in curriculum.variant("simplified").modules]
    assert simplified == [m.id for m in curriculum.modules]


def test_a_substance_use_session_keeps_the_core_and_adds_to_it(curriculum: Curriculum) -> None:
    core = curriculum.session("drug-and-alcohol-use/1")
    added = curriculum.session("co-occurring-substance-use/drug-and-alcohol-use/1")
    assert added.slides[: len(core.slides)] == core.slides
    assert len(added.slides) >= len(core.slides)


def test_every_plan_runs_existing_sessions(curriculum: Curriculum) -> None:
    formats = {plan.format for plan in curriculum.plans}
    assert formats == {"individual", "group", "combined"}
    for plan in curriculum.plans:
        for ref in plan.session_refs:
            curriculum.session(ref)


def test_relaxation_can_open_any_session(curriculum: Curriculum) -> None:
    exercise = curriculum.relaxations[0]
    opened = curriculum.opened_session("practical-facts/1", exercise.id)
    assert opened.agenda[0].kind == "relaxation"
    assert opened.agenda[0].exercise_ids == [exercise.id]
    assert opened.agenda[1:] == curriculum.session("practical-facts/1").agenda


def test_a_session_that_opens_with_relaxation_keeps_its_own(curriculum: Curriculum) -> None:
    session = curriculum.session("coping-with-stress/1")
    assert session.agenda[0].exercise_ids == ["relaxation/calm-breathing"]
    assert curriculum.opened_session(session.ref, "relaxation/five-senses") == session


def test_recovery_strategies_holds_the_goal_worksheet(curriculum: Curriculum) -> None:
    sheet = curriculum.goal_worksheet
    assert sheet.goal_prompt and sheet.short_term_prompt and sheet.steps_prompt
    assert curriculum.session(sheet.session_refs[0]).goal_worksheet == sheet
