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
