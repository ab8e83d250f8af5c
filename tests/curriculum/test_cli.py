"""``imr-live scripts list|show|check`` from argparse down to exit codes."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from imr_live.curriculum import DEFAULT_SCRIPTS_DIR
from imr_live.curriculum.cli import register


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """Parse ``argv`` with a parser carrying ``register``; return exit code and stdout."""
    parser = argparse.ArgumentParser(prog="imr-live")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.func(args)
    return code, capsys.readouterr().out


def test_check_passes_on_the_shipped_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "scripts", "check")
    assert code == 0
    assert out.startswith("OK: 11 modules")


def test_check_lists_every_problem_at_once(
    scripts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = scripts / "modules" / "practice-module.yaml"
    text = module.read_text(encoding="utf-8")
    module.write_text(text.replace("name: leader", "name: boss"), encoding="utf-8")
    (scripts / "plans" / "broken.yaml").write_text("id: broken\n", encoding="utf-8")
    code, out = run(capsys, "scripts", "check", "--dir", str(scripts))
    assert code == 1
    lines = out.splitlines()
    assert any(
        line.startswith("modules/practice-module.yaml:") and "roles[1].name" in line
        for line in lines
    )
    assert sum(line.startswith("plans/broken.yaml:") for line in lines) == 3


def test_list_shows_modules_variants_and_plans(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "scripts", "list")
    assert code == 0
    assert "recovery-strategies/1" in out and "Variant simplified" in out and "Plans:" in out


def test_show_prints_a_session_with_its_agenda_and_role_play(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "scripts", "show", "recovery-strategies/1")
    assert code == 0
    assert "Agenda:" in out and "Role play:" in out and "Home practice" in out


def test_show_an_unknown_ref_fails(capsys: pytest.CaptureFixture[str]) -> None:
    code, _ = run(capsys, "scripts", "show", "nothing/here", "--dir", str(DEFAULT_SCRIPTS_DIR))
    assert code == 1


def test_show_says_a_sessions_clinical_review_is_pending(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out = run(capsys, "scripts", "show", "co-occurring-substance-use/drug-and-alcohol-use/1")
    assert code == 0
    assert "Clinical review of the module: PENDING" in out
    assert "Clinical review of the co-occurring-substance-use additions: PENDING" in out


def test_show_names_the_reviewer_and_date_once_a_module_is_reviewed(
    scripts: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    module = scripts / "modules" / "practice-module.yaml"
    text = module.read_text(encoding="utf-8")
    reviewed = "  reviewer: Dr. Jo Smith, PhD\n  reviewed: 2026-11-30\n"
    module.write_text(text.replace("  reviewer: pending\n  reviewed: null\n", reviewed))
    code, out = run(capsys, "scripts", "show", "practice-module", "--dir", str(scripts))
    assert code == 0
    assert "Clinical review of the module: Dr. Jo Smith, PhD on 2026-11-30" in out
    assert "PENDING" not in out


def test_show_a_variant_lists_its_leader_guidelines(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "scripts", "show", "simplified")
    assert code == 0
    assert "Leader guidelines:" in out and "Activities per session: at least 3" in out


def test_show_a_slide_lists_its_words_to_know(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(capsys, "scripts", "show", "drug-and-alcohol-use/3/overdose-and-naloxone")
    assert code == 0
    assert "Word to know - naloxone: " in out and "Word to know - overdose: " in out
