"""Layers import in one direction: sfu knows nothing of imr_live; the domain no web stack."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(package: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
        found[str(path.relative_to(ROOT))] = names
    return found


def offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{file} imports {name}"
        for file, names in imports_of(package).items()
        for name in names
        if name.split(".")[0] in forbidden or name.startswith(forbidden)
    ]


def test_the_sfu_never_imports_the_application() -> None:
    assert offenders("sfu", ("imr_live",)) == []


def test_the_domain_and_stores_never_import_the_web_stack() -> None:
    web = ("aiohttp", "socketio", "engineio", "imr_live.edges")
    for package in ("imr_live/domain", "imr_live/store", "imr_live/curriculum"):
        assert offenders(package, web) == [], package


def test_the_domain_does_not_reach_into_the_sfu() -> None:
    assert offenders("imr_live/domain", ("sfu",)) == []
