"""Layers import in one direction and no module imports itself round a cycle.

The import graph is read from the source (every ``import``, TYPE_CHECKING ones
too: a cycle for the type checker is still a knot for the reader).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("imr_live", "sfu")

LAYERS: dict[str, int] = {
    "imr_live": 0,
    "sfu": 0,
    "imr_live.errors": 0,
    "imr_live.log_limits": 0,
    "imr_live.resources": 0,
    "imr_live.config": 1,
    "imr_live.store": 2,
    "imr_live.curriculum": 2,
    "imr_live.domain": 3,
    "imr_live.media": 3,
    "imr_live.captions": 3,
    "imr_live.reports": 4,
    "imr_live.services": 5,
    "imr_live.edges": 6,
    "imr_live.phone": 6,  # a process of its own that joins rooms as a participant: an edge
    "imr_live.cli": 7,
}
"""Where each part stands: a module imports only from its own part or from lower layers."""
WEB_STACK = ("aiohttp", "socketio", "engineio")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (resolved to the modules that exist)."""
    files = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    edges: dict[str, set[str]] = {}
    for name, path in files.items():
        found: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                    base = f"{base}.{node.module}" if node.module else base
                targets = [f"{base}.{a.name}" for a in node.names]
                if any(t not in files for t in targets):
                    targets.append(base)  # a name defined by the package itself
            for target in targets:
                while target and target not in files:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found.add(target)
        edges[name] = found
    return edges


def layer_of(module: str) -> tuple[str, int]:
    best = max((k for k in LAYERS if module == k or module.startswith(k + ".")), key=len)
    return best, LAYERS[best]


def imports_of(package: str) -> dict[str, set[str]]:
    """Every name imported by each file of ``package`` (for the third-party checks)."""
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


def test_no_module_imports_itself_round_a_cycle() -> None:
    edges = graph()
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert cycles == []


def test_every_import_points_down_the_layers() -> None:
    upward = []
    for module, targets in graph().items():
        part, level = layer_of(module)
        for target in targets:
            other, other_level = layer_of(target)
            if other != part and other_level >= level:
                upward.append(f"{module} -> {target}")
    assert upward == []


def test_the_sfu_never_imports_the_application() -> None:
    assert [
        f for f, names in imports_of("sfu").items() if any("imr_live" in n for n in names)
    ] == []


def test_the_domain_stores_and_curriculum_never_import_the_web_stack() -> None:
    for package in ("imr_live/domain", "imr_live/store", "imr_live/curriculum", "imr_live/reports"):
        offenders = [
            f"{file} imports {name}"
            for file, names in imports_of(package).items()
            for name in names
            if name.split(".")[0] in WEB_STACK
        ]
        assert offenders == [], package


def test_the_domain_does_not_reach_into_the_sfu() -> None:
    names = {n for ns in imports_of("imr_live/domain").values() for n in ns}
    assert not any(n == "sfu" or n.startswith("sfu.") for n in names)


def imported_at_run_time(code: str) -> list[str]:
    """Top-level packages a fresh interpreter has loaded after running ``code``."""
    probe = code + "\nimport sys\nprint(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return loaded


def test_the_sfu_loads_nothing_of_the_application_at_run_time() -> None:
    loaded = imported_at_run_time("import sfu, sfu.service, sfu.room, sfu.recorder")
    assert "imr_live" not in loaded


def test_the_curriculum_loads_no_web_or_media_stack_at_run_time() -> None:
    loaded = imported_at_run_time("import imr_live.curriculum, imr_live.curriculum.cli")
    assert [m for m in (*WEB_STACK, "aiortc") if m in loaded] == []
