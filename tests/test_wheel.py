"""``pip install .`` into a fresh venv, run from an empty folder: every page and the curriculum.

Cost: nearly all of it is pip. Measured here: ~40 s on a quiet machine (wheel build
~5 s with setuptools fetched into pip's isolated build environment, fresh venv
~3 s, installing the wheel with its dependencies ~25 s: aiortc, av, reportlab
... come from the package index or pip's cache, never from the checkout), and
1.5-2.5 min while other suites share both cores. Serving and the requests take
a few seconds. The venv is built once per run (module fixture).
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.test_cli import serving

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "a long enough password"
IMPORTED = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.js)["']""")
LINKED = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the project installed from a wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp), str(ROOT)],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp.glob("imr_live-*.whl")
    subprocess.run([sys.executable, "-m", "venv", str(tmp / "venv")], check=True, timeout=120)
    pip = [str(tmp / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)]
    subprocess.run(pip, check=True, timeout=600, env=outside_env())
    return tmp / "venv"


def outside_env() -> dict[str, str]:
    """This environment without the checkout on the path and without our settings."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("IMR_")}


def imr_live(venv: Path, site: Path, *args: str, stdin: str = "") -> str:
    """Run the installed ``imr-live`` in ``site``; its standard output."""
    done = subprocess.run(
        [str(venv / "bin" / "imr-live"), *args],
        cwd=site,
        env=outside_env(),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_installed_package_runs_from_an_empty_folder(venv: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import imr_live; print(imr_live.__file__)"],
        cwd=site,
        env=outside_env(),
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)
    checkout = subprocess.run(
        [sys.executable, "-m", "imr_live.cli", "scripts", "list"],
        env={**outside_env(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert imr_live(venv, site, "scripts", "list") == checkout.stdout
    imr_live(
        venv, site, "user", "add", "dana", "--role", "admin", "--password-stdin", stdin=PASSWORD
    )
    port = free_port()
    command = [str(venv / "bin" / "imr-live"), "serve", "--port", str(port)]
    with serving(command, port, outside_env(), site) as base:
        browse_every_page(base)
    assert (site / "data" / "imr-live.sqlite3").is_file()


def browse_every_page(base: str) -> None:
    """Sign in, open a session with a script, invite, and load each page with its files."""
    browser = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )

    def get(path: str) -> str:
        with browser.open(base + path, timeout=30) as resp:
            assert resp.status == 200, path
            return str(resp.read().decode())

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            base + path,
            json.dumps(body).encode(),
            # As a browser's fetch from the page: a POST names its own origin.
            {"Content-Type": "application/json", "Origin": base},
        )
        with browser.open(request, timeout=30) as resp:
            return dict(json.loads(resp.read()))

    pages = [get("/login")]
    post("/api/login", {"username": "dana", "password": PASSWORD})
    made = post(
        "/api/sessions",
        {"title": "Week 1", "format": "group", "script_ref": "recovery-strategies/1"},
    )
    script = json.loads(get(f"/api/sessions/{made['id']}/script"))
    assert len(script["slides"]) > 1  # each slide rendered from its template
    invite = post(f"/api/sessions/{made['id']}/invites", {"role": "client"})
    pages += [get("/staff"), get(f"/room/{made['id']}"), get(f"/join/{invite['token']}")]
    get("/review/assets/chart.umd.min.js")
    get("/static/vendor/socket.io.esm.min.js")  # what the unbundled source modules import
    fetched = load_static_files(get, pages)
    # The pages load the built bundles (web/static/dist, made by `make setup`).
    assert any(path.startswith("/static/dist/join-") for path in fetched), fetched
    assert any(path.startswith("/static/dist/imr-") for path in fetched), fetched


def load_static_files(get: Callable[[str], str], pages: list[str]) -> set[str]:
    """Fetch every file the pages link and every module those scripts import."""
    waiting = {path for page in pages for path in LINKED.findall(page)}
    fetched: set[str] = set()
    while waiting:
        path = waiting.pop()
        fetched.add(path)
        text = get(path)
        if path.endswith(".js"):
            folder = path.rsplit("/", 1)[0]
            for name in IMPORTED.findall(text):
                target = name if name.startswith("/") else f"{folder}/{name.removeprefix('./')}"
                if target not in fetched:
                    waiting.add(target)
    return fetched
