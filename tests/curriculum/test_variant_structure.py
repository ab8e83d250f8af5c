"""Templates, a variant's own modules, session flows and activity counts are checked like the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_live.curriculum import Curriculum, CurriculumInvalid, Problem, load_curriculum

PTSD = "variants/other-disorders/practical-facts-ptsd.yaml"
SIMPLIFIED_PRACTICE = "variants/simplified/practice-module.yaml"


def problems_after(scripts: Path, file: str, old: str, new: str) -> list[Problem]:
    """Replace ``old`` by ``new`` once in ``file`` of the copy and return every problem."""
    path = scripts / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CurriculumInvalid) as caught:
        load_curriculum(scripts)
    return caught.value.problems


def test_a_template_module_missing_its_medication_section_is_caught(scripts: Path) -> None:
    (problem,) = problems_after(scripts, PTSD, "key: medication\n", "key: pills\n")
    assert problem.file == PTSD and problem.field == "sessions"
    assert "expected a slide 'medication' (Medicine for ___) in session 2" in problem.message


def test_an_unknown_template_is_caught(scripts: Path) -> None:
    (problem,) = problems_after(scripts, PTSD, "template: practical-facts-about", "template: nope")
    assert problem.field == "template"
    assert problem.message.startswith("no template 'nope'; expected one of: practical-facts-about")


def test_an_own_module_following_an_unknown_module_is_caught(scripts: Path) -> None:
    (problem,) = problems_after(scripts, PTSD, "follows: practical-facts", "follows: nowhere")
    assert problem.field == "follows"
    assert problem.message.startswith("no module 'nowhere' to follow")


def test_follows_only_applies_in_an_additions_variant(scripts: Path) -> None:
    file = "variants/targeted/relapse.yaml"
    (problem,) = problems_after(
        scripts, file, "sessions:\n", "follows: practical-facts\nsessions:\n"
    )
    assert (problem.file, problem.field) == (file, "follows")


def test_a_session_in_the_wrong_flow_order_is_caught(scripts: Path) -> None:
    file = "variants/recovery-support/recovery-support-group.yaml"
    agenda = "    agenda: [check_in, review, new_material, practice, home_practice, summary]\n"
    (problem,) = problems_after(
        scripts, file, "    flow: support-group\n", f"    flow: support-group\n{agenda}"
    )
    assert problem.field == "sessions[0].agenda"
    assert problem.message == (
        "expected steps in this order: check_in, sharing, new_material, practice, planning,"
        " home_practice, summary"
    )


def test_a_simplified_session_with_too_few_activities_is_caught(scripts: Path) -> None:
    problems = problems_after(
        scripts, SIMPLIFIED_PRACTICE, "      - use: relaxation/five-senses\n", ""
    )
    (problem,) = problems
    assert problem.file == "variants/simplified/variant.yaml"
    assert problem.message == (
        "simplified/practice-module/1 has 2 role plays and exercises;"
        " this variant expects at least 3 per session"
    )


def test_own_modules_sit_after_the_module_they_follow(curriculum: Curriculum) -> None:
    keys = [m.key for m in curriculum.variant("co-occurring-substance-use").modules]
    assert keys[keys.index("practical-facts") + 1] == "practical-facts-substance-use"
    forensic = [m.key for m in curriculum.variant("forensic").modules]
    assert forensic[:4] == [
        "recovery-strategies",
        "processing-time-inside",
        "prison-habits",
        "thinking-traps",
    ]
    assert forensic[forensic.index("coping-with-stress") + 1] == "anger-and-frustration"


def test_every_session_ref_is_variant_module_and_number(curriculum: Curriculum) -> None:
    modules = curriculum.modules + [m for v in curriculum.variants for m in v.modules]
    for module in modules:
        for session in module.sessions:
            prefix = f"{module.variant}/" if module.variant else ""
            assert session.ref == f"{prefix}{module.key}/{session.number}"
            assert session.variant == module.variant


def test_practical_facts_modules_follow_the_template(curriculum: Curriculum) -> None:
    for module_id in (
        "other-disorders/practical-facts-ptsd",
        "other-disorders/practical-facts-anxiety",
    ):
        module = curriculum.module(module_id)
        assert module.template == "practical-facts-about"
        keys = {s.id.rsplit("/", 1)[1] for session in module.sessions for s in session.slides}
        assert {"medication", "coping", "get-help-now"} <= keys


def test_an_own_module_may_not_reuse_a_core_module_id(scripts: Path) -> None:
    file = "variants/forensic/thinking-traps.yaml"
    (scripts / file).rename(scripts / "variants/forensic/coping-with-stress.yaml")
    renamed = "variants/forensic/coping-with-stress.yaml"
    problems = problems_after(scripts, renamed, "id: thinking-traps", "id: coping-with-stress")
    assert [(p.file, p.field) for p in problems] == [(renamed, "id")]
    assert problems[0].message.startswith("'coping-with-stress' is already a module here")
