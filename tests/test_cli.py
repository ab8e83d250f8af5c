"""The imr-live command line: staff accounts, log verify and export."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from imr_live.store.database import SqliteDatabase
from imr_live.store.session_log import SessionLog


def run(
    data_dir: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IMR_DATA_DIR": str(data_dir), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "imr_live.cli", *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def make_log(data_dir: Path) -> None:
    db = SqliteDatabase(data_dir / "imr-live.sqlite3")
    await db.open()
    log = SessionLog(db)
    for i in range(4):
        await log.append("s_demo", "u_a", "slide.shown", {"index": i, "note": 'a,b "c"'})
    await db.close()


def test_user_add_creates_an_account_that_lists(tmp_path: Path) -> None:
    made = run(
        tmp_path,
        "user",
        "add",
        "dana",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert made.returncode == 0, made.stderr
    assert "created admin dana" in made.stdout
    listed = run(tmp_path, "user", "list")
    assert "admin\tdana" in listed.stdout
    again = run(
        tmp_path,
        "user",
        "add",
        "dana",
        "--role",
        "admin",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert again.returncode == 2 and "taken" in again.stderr
    short = run(
        tmp_path, "user", "add", "eve", "--role", "clinician", "--password-stdin", stdin="short\n"
    )
    assert short.returncode == 2 and "at least" in short.stderr


async def test_log_verify_reports_an_edit_made_in_the_database(tmp_path: Path) -> None:
    await make_log(tmp_path)
    good = run(tmp_path, "log", "verify", "s_demo")
    assert good.returncode == 0 and "ok: 4 events" in good.stdout
    with sqlite3.connect(tmp_path / "imr-live.sqlite3") as conn:
        conn.execute("UPDATE session_log SET actor = 'u_b' WHERE seq = 2")
    bad = run(tmp_path, "log", "verify", "s_demo")
    assert bad.returncode == 1
    assert "BROKEN at event 2" in bad.stdout


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
async def test_log_export_round_trips(tmp_path: Path, fmt: str) -> None:
    await make_log(tmp_path)
    out = run(tmp_path, "log", "export", "s_demo", "--format", fmt)
    assert out.returncode == 0, out.stderr
    if fmt == "jsonl":
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        datas = [r["data"] for r in rows]
    else:
        rows = list(csv.DictReader(io.StringIO(out.stdout)))
        datas = [json.loads(r["data"]) for r in rows]
    assert [int(r["seq"]) for r in rows] == [1, 2, 3, 4]
    assert datas[3] == {"index": 3, "note": 'a,b "c"'}


def test_production_refuses_to_start_without_a_real_secret(tmp_path: Path) -> None:
    out = run(tmp_path, "serve", env={"IMR_PRODUCTION": "1", "SECRET_KEY": "dev"})
    assert out.returncode == 2 and "SECRET_KEY" in out.stderr


def test_a_misspelt_setting_is_refused(tmp_path: Path) -> None:
    out = run(tmp_path, "user", "list", env={"IMR_PRODUCTON": "1"})
    assert out.returncode == 2 and "IMR_PRODUCTON" in out.stderr


def test_serve_refuses_to_start_on_an_invalid_script_set(tmp_path: Path) -> None:
    import shutil

    scripts = tmp_path / "scripts"
    shutil.copytree(Path(__file__).resolve().parent.parent / "session_scripts", scripts)
    module = sorted((scripts / "modules").glob("*.yaml"))[0]
    module.write_text(module.read_text().replace("title:", "titel:", 1))
    out = run(tmp_path, "serve", env={"IMR_SCRIPTS_DIR": str(scripts)})
    assert out.returncode == 2
    assert f"modules/{module.name}:" in out.stderr and "titel" in out.stderr
