"""Finds, by AST, where Python source reaches into aiortc or aioice internals.

A use is: an import of a module of aiortc/aioice other than the package
itself (`aiortc.rtp`, `aioice.ice`), or of a name the package does not export;
an attribute `x._name` whose name is not one our own code defines, or is one
aiortc/aioice define; `__dict__` or `vars()`; and `getattr`-style calls with a
private name. Dunder protocol names (`__name__`, `__class__`) are public.
"""

from __future__ import annotations

import ast
import functools
import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import aioice
import aiortc

ROOT = Path(__file__).resolve().parents[2]
INTERNALS = ROOT / "sfu" / "aiortc_internals"
FOREIGN = ("aiortc", "aioice")
_REFLECTION = ("getattr", "setattr", "hasattr", "delattr")


@dataclass(frozen=True)
class PrivateUse:
    """One reach into a private name, where it happens."""

    path: Path
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}: {self.what}"


def python_files(*folders: Path, exclude: Path | None = None) -> list[Path]:
    """Every .py file under `folders`, without those under `exclude`."""
    return sorted(
        path
        for folder in folders
        for path in folder.rglob("*.py")
        if exclude is None or exclude not in path.parents
    )


def defined_private_names(files: Iterable[Path]) -> set[str]:
    """Private names the given source defines: functions, classes, attributes, slots."""
    names: set[str] = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                if isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"):
                    names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
            elif isinstance(node, ast.Assign) and _assigns_slots(node):
                names.update(ast.literal_eval(node.value))
    return {name for name in names if name.startswith("_")}


def _assigns_slots(node: ast.Assign) -> bool:
    return any(isinstance(t, ast.Name) and t.id == "__slots__" for t in node.targets)


@functools.cache
def foreign_private_names() -> frozenset[str]:
    """Private names aiortc and aioice define (the names our code must not share)."""
    files = [p for m in (aiortc, aioice) for p in Path(m.__file__ or "").parent.rglob("*.py")]
    return frozenset(defined_private_names(files) - {"__init__", "_"})


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _public(module: str) -> set[str]:
    return set(getattr(importlib.import_module(module), "__all__", ()))


def private_uses(
    path: Path, own: set[str], foreign: frozenset[str], strict: bool = True
) -> list[PrivateUse]:
    """The reaches into aiortc/aioice internals in one file.

    `strict`: any private attribute that is not our own counts (the SFU, which
    holds aiortc objects everywhere); otherwise only aiortc/aioice names do.
    """
    uses: list[PrivateUse] = []

    def use(node: ast.AST, what: str) -> None:
        uses.append(PrivateUse(path, getattr(node, "lineno", 0), what))

    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in FOREIGN and alias.name not in FOREIGN:
                    use(node, f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            top = node.module.split(".")[0]
            if top in FOREIGN and node.module not in FOREIGN:
                use(node, f"from {node.module} import ...")
            elif top in FOREIGN:
                public = _public(node.module)
                for alias in node.names:
                    if alias.name not in public:
                        use(node, f"from {node.module} import {alias.name}")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            if _is_dunder(node.attr):
                if node.attr == "__dict__":
                    use(node, "__dict__")
                continue
            on_self = isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")
            unknown = strict and node.attr not in own
            if unknown or (not on_self and node.attr in foreign):
                use(node, f".{node.attr}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "vars":
                use(node, "vars()")
            elif node.func.id in _REFLECTION and len(node.args) > 1:
                name = node.args[1]
                if isinstance(name, ast.Constant) and isinstance(name.value, str):
                    if name.value.startswith("_") and not _is_dunder(name.value):
                        if (strict and name.value not in own) or name.value in foreign:
                            use(node, f"{node.func.id}(..., {name.value!r})")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            # A name-mangled key such as "_RTCRtpSender__packet_count" (via __dict__).
            if node.value.startswith("_RTC") and "__" in node.value:
                use(node, repr(node.value))
    return uses


def uses_outside_internals() -> list[PrivateUse]:
    """Every reach into aiortc/aioice internals in sfu/ and imr_live/ outside the package."""
    files = python_files(ROOT / "sfu", ROOT / "imr_live", exclude=INTERNALS)
    own = defined_private_names(files)
    foreign = foreign_private_names()
    sfu = ROOT / "sfu"
    return [
        u for path in files for u in private_uses(path, own, foreign, strict=sfu in path.parents)
    ]


def uses_inside_internals() -> list[PrivateUse]:
    """Every reach into aiortc/aioice internals inside the internals package."""
    files = python_files(INTERNALS)
    own = defined_private_names(files)
    foreign = foreign_private_names()
    return [u for path in files for u in private_uses(path, own, foreign)]
