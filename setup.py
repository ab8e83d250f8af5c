"""Build hook: the wheel carries the pages, the curriculum and the browser libraries.

They stay where they are kept in the repository (``web/``, ``session_scripts/``
and ``node_modules/`` from ``npm ci``); ``imr_live/resources.py`` names each
one and finds the copy inside the installed package at run time.
"""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED: dict[str, str] = runpy.run_path(str(ROOT / "imr_live" / "resources.py"))["SHIPPED"]


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies every ``SHIPPED`` file or folder into ``imr_live``."""

    def run(self) -> None:
        """Build the modules, then copy the shipped files (an editable install reads the checkout)."""
        super().run()
        if self.editable_mode:
            return
        for place, source in SHIPPED.items():
            self._copy(ROOT / source, Path(self.build_lib) / "imr_live" / place)

    def _copy(self, source: Path, target: Path) -> None:
        if not source.exists():
            raise SystemExit(f"{source.relative_to(ROOT)} is missing: run `npm ci` first")
        if source.is_dir():
            shutil.rmtree(target, ignore_errors=True)  # no stale file from an earlier build
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


# The SFU's native fan-out (sfu/native/_fanout.c, linked against Debian's
# libsrtp2-dev). Optional: without a compiler or the headers the build goes on
# and the SFU uses its pure-Python path.
FANOUT = Extension(
    "sfu.native._fanout",
    sources=["sfu/native/_fanout.c"],
    libraries=["srtp2"],
    extra_compile_args=[
        "-O2",
        "-Wall",
        "-Wextra",
        "-Wno-unused-parameter",
        "-Wno-missing-field-initializers",
    ],
    optional=True,
)

setup(cmdclass={"build_py": BuildWithShippedFiles}, ext_modules=[FANOUT])
