"""Broken script files give precise errors: which file, line and field, and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from imr_live.curriculum import CurriculumInvalid, Problem, load_curriculum
from imr_live.errors import InvalidInput

from .conftest import EXTRA_MODULE, line_of

MODULE = "modules/practice-module.yaml"


def problems_after(scripts: Path, old: str, new: str, file: str = MODULE) -> list[Problem]:
    """Replace ``old`` by ``new`` in one file of the copy and return every problem."""
    path = scripts / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"test setup: {old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(CurriculumInvalid) as caught:
        load_curriculum(scripts)
    return caught.value.problems


def test_the_untouched_copy_with_the_practice_module_loads(scripts: Path) -> None:
    curriculum = load_curriculum(scripts)
    assert curriculum.session("practice-module/1").slides[1].id == "recovery-strategies/1/welcome"


def test_an_invalid_set_is_an_invalid_input_error(scripts: Path) -> None:
    (scripts / MODULE).write_text("id: practice-module\n", encoding="utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_curriculum(scripts)
    assert caught.value.code == "curriculum_invalid"


def test_a_missing_field_names_the_slide_and_its_line(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "        title: A first slide\n", "")
    assert problem.file == MODULE
    assert problem.field == "sessions[0].slides[0].title"
    assert problem.line == line_of(EXTRA_MODULE, "- key: first")
    assert problem.message == "required field is missing"


def test_an_unknown_role_name_lists_the_roles_expected(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "name: leader", "name: therapist")
    assert problem.field == "sessions[0].role_plays[0].roles[1].name"
    assert problem.line == line_of(EXTRA_MODULE, "name: leader")
    assert "'client', 'leader', 'co-leader' or 'supporter'" in problem.message


def test_a_duplicate_id_in_one_session_points_at_both_places(scripts: Path) -> None:
    problems = problems_after(scripts, "key: try-it", "key: first")
    (problem,) = problems
    assert problem.message.startswith("duplicate id 'practice-module/1/first' (first defined at ")
    assert problem.line == line_of(EXTRA_MODULE, "key: try-it")


def test_a_bad_reference_says_what_was_expected(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "use: recovery-strategies/1/welcome", "use: nowhere/1/x")
    assert problem.field == "sessions[0].slides[1].use"
    assert problem.line == line_of(EXTRA_MODULE, "use: recovery-strategies")
    assert problem.message == "no slide with id 'nowhere/1/x'; expected an existing slide id"


def test_a_reference_to_the_wrong_kind_of_item_is_caught(scripts: Path) -> None:
    (problem,) = problems_after(
        scripts, "use: recovery-strategies/1/welcome", "use: practice-module/1/asking"
    )
    assert problem.message == "'practice-module/1/asking' is a role play, expected a slide"


def test_bad_yaml_gives_the_line_of_the_error(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "title: First session", "title: [First session")
    assert problem.file == MODULE
    assert problem.message.startswith("not valid YAML")
    assert problem.line is not None and problem.line >= line_of(EXTRA_MODULE, "First session")


def test_a_misspelt_field_is_unknown_and_the_real_one_missing(scripts: Path) -> None:
    problems = problems_after(scripts, "    leader_notes:\n      - Be kind.", "    leader_note: x")
    found = {(p.field, p.message.split(" (")[0]) for p in problems}
    assert found == {
        ("sessions[1].leader_note", "unknown field"),
        ("sessions[1].leader_notes", "required field is missing"),
    }


def test_role_play_steps_out_of_order_are_caught(scripts: Path) -> None:
    (problem,) = problems_after(
        scripts,
        "          feedback: The group says what went well.\n"
        "          suggestion: The leader gives one idea.\n",
        "          suggestion: The leader gives one idea.\n"
        "          feedback: The group says what went well.\n",
    )
    assert problem.field == "sessions[0].role_plays[0].steps"
    assert "model, practise, feedback, suggestion, practise_again" in problem.message


def test_a_role_play_without_a_client_is_caught(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "name: client", "name: supporter")
    assert problem.field == "sessions[0].role_plays[0].roles"
    assert problem.message == "expected a 'client' role"


def test_a_module_with_one_session_breaks_the_two_to_four_rule(scripts: Path) -> None:
    text = EXTRA_MODULE[: EXTRA_MODULE.index("  - number: 2")]
    (scripts / MODULE).write_text(text, encoding="utf-8")
    with pytest.raises(CurriculumInvalid) as caught:
        load_curriculum(scripts)
    (problem,) = caught.value.problems
    assert (problem.field, problem.message) == ("sessions", "expected 2 to 4 sessions")


def test_a_core_module_without_any_role_play_is_caught(scripts: Path) -> None:
    start = EXTRA_MODULE.index("    role_plays:")
    end = EXTRA_MODULE.index("    home_practice:")
    exercise = (
        "    exercises:\n      - key: talk\n        title: Talk\n        instructions: [Talk.]\n"
    )
    text = EXTRA_MODULE[:start] + exercise + EXTRA_MODULE[end:]
    (scripts / MODULE).write_text(text, encoding="utf-8")
    (problem,) = load_problems(scripts)
    assert (problem.file, problem.field) == (MODULE, "sessions")
    assert problem.message == "expected at least one role play"


def test_a_duplicate_yaml_key_is_not_silently_dropped(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "    minutes: 45\n", "    minutes: 45\n    minutes: 50\n")
    assert (problem.field, problem.message) == ("sessions[0].minutes", "duplicate key")
    assert problem.line == line_of(EXTRA_MODULE, "minutes: 45") + 1


def test_a_plan_naming_an_unknown_module_is_caught(scripts: Path) -> None:
    plan = "plans/group-open-enrollment.yaml"
    path = scripts / plan
    path.write_text(
        path.read_text(encoding="utf-8") + "modules: [recovery-strategies, no-such-module]\n",
        encoding="utf-8",
    )
    (problem,) = load_problems(scripts)
    assert (problem.file, problem.field) == (plan, "modules[1]")
    assert problem.line == path.read_text(encoding="utf-8").count("\n")
    assert problem.message.startswith("no module 'no-such-module'; expected one of: ")


def test_an_addition_to_a_missing_session_is_caught(scripts: Path) -> None:
    file = "variants/co-occurring-substance-use/drug-and-alcohol-use.yaml"
    (problem,) = problems_after(scripts, "session: 1", "session: 9", file)
    assert problem.file == file
    assert problem.message == "no core session 'drug-and-alcohol-use/9' to add to"


def test_every_problem_is_reported_at_once(scripts: Path) -> None:
    text = EXTRA_MODULE.replace("name: leader", "name: boss").replace("minutes: 45", "minutes: 5")
    (scripts / MODULE).write_text(text, encoding="utf-8")
    (scripts / "relaxation.yaml").write_text("exercises: []\n", encoding="utf-8")
    problems = load_problems(scripts)
    assert {p.file for p in problems} == {MODULE, "relaxation.yaml"}
    assert len(problems) == 4


def test_a_script_set_without_modules_is_refused(tmp_path: Path) -> None:
    (tmp_path / "agenda.yaml").write_text("steps: []\n", encoding="utf-8")
    problems = load_problems(tmp_path)
    assert [str(p) for p in problems] == [
        "agenda.yaml:1: steps: expected a valid value: List should have at least 1 item "
        "after validation, not 0",
        "relaxation.yaml: (file): required file is missing",
        "glossary.yaml: (file): required file is missing",
        "modules: (file): expected at least one module file",
    ]


def test_a_problem_reads_as_file_line_field_message() -> None:
    problem = Problem("modules/x.yaml", 12, "sessions[0].title", "required field is missing")
    assert str(problem) == "modules/x.yaml:12: sessions[0].title: required field is missing"


def load_problems(scripts: Path) -> list[Problem]:
    """Every problem of the script set under ``scripts``."""
    with pytest.raises(CurriculumInvalid) as caught:
        load_curriculum(scripts)
    return caught.value.problems


def test_a_named_reviewer_needs_the_date_of_the_review(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "  reviewer: pending\n", "  reviewer: Dr. Jo Smith\n")
    assert problem.file == MODULE
    assert problem.field == "review"
    assert "needs the date of the review" in problem.message


def test_a_pending_review_has_no_date(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "  reviewed: null\n", "  reviewed: 2026-11-30\n")
    assert problem.field == "review"
    assert "a pending review has no date" in problem.message


def test_a_module_without_review_metadata_is_refused(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "review:\n  reviewer: pending\n  reviewed: null\n", "")
    assert (problem.field, problem.message) == ("review", "required field is missing")
