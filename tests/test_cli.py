"""The imr-live command line: staff accounts, log verify and export, settings and serving."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from imr_live.cli import build_parser, config_of
from imr_live.store.database import SqliteDatabase
from imr_live.store.session_log import SessionLog
from tests.conftest import free_port


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


@contextmanager
def serving(command: Sequence[str], port: int, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``command`` run in ``cwd`` until it answers /readyz on ``port``; yields its base URL.

    Its output goes to ``cwd/server.log`` (a pipe nobody reads could fill and stall it).
    """
    base = f"http://127.0.0.1:{port}"
    log = cwd / "server.log"
    with (
        log.open("w") as out,
        subprocess.Popen(command, env=env, cwd=cwd, stdout=out, stderr=out) as proc,
    ):
        try:
            deadline = time.monotonic() + 60
            while proc.poll() is None and time.monotonic() < deadline:
                try:
                    with urllib.request.urlopen(f"{base}/readyz", timeout=2) as resp:
                        if resp.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError):
                    time.sleep(0.1)
            else:
                raise AssertionError(f"{command} did not answer: {log.read_text()[-2000:]}")
            yield base
        finally:
            proc.terminate()
            proc.wait(15)


def fetch(url: str) -> tuple[int, bytes]:
    """Status and body of a GET (error statuses too)."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_takes_its_port_after_the_subcommand(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "imr_live.cli", "serve", "--port", str(port), "--no-sfu"]
    env = {**os.environ, "IMR_DATA_DIR": str(tmp_path)}
    with serving(command, port, env, tmp_path) as base:
        assert fetch(f"{base}/login")[0] == 200


def test_web_takes_its_port_after_the_subcommand(
    tmp_path: Path, redis_url: str, redis_prefix: str
) -> None:
    port = free_port()
    command = [sys.executable, "-m", "imr_live.cli", "web", "--port", str(port)]
    env = {
        **os.environ,
        "IMR_DATA_DIR": str(tmp_path),
        "REDIS_URL": redis_url,
        "IMR_REDIS_PREFIX": redis_prefix,
    }
    with serving(command, port, env, tmp_path) as base:
        assert fetch(f"{base}/login")[0] == 200


def test_a_flag_before_or_after_the_subcommand_beats_the_environment() -> None:
    environ = {"PORT": "9000", "IMR_SFU_VIDEO_BUDGET_KBPS": "900"}
    for argv in (
        ["--port", "8081", "user", "list", "--sfu-video-budget-kbps", "1200"],
        ["user", "list", "--port", "8081", "--sfu-video-budget-kbps=1200"],
    ):
        config = config_of(build_parser().parse_args(argv), environ)
        assert config.port == 8081
        assert config.sfu_config().video_budget_kbps == 1200
    untouched = config_of(build_parser().parse_args(["log", "verify", "s_1"]), environ)
    assert (untouched.port, untouched.sfu_config().video_budget_kbps) == (9000, 900)


def test_a_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    out = run(tmp_path, "serve", "--port", "eighty")
    assert out.returncode == 2 and "--port" in out.stderr and "eighty" in out.stderr
    out = run(tmp_path, "sfu", "--sfu-packet-history", "500")
    assert out.returncode == 2 and "power of two" in out.stderr


def test_the_test_suites_own_variables_do_not_stop_serve(tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "imr_live.cli", "serve", "--port", str(port), "--no-sfu"]
    env = {
        **os.environ,
        "IMR_DATA_DIR": str(tmp_path),
        "IMR_TEST_PG": "postgresql://postgres@127.0.0.1:5432/test",
        "IMR_TEST_REDIS": "redis://127.0.0.1:6379/0",
    }
    with serving(command, port, env, tmp_path) as base:
        assert fetch(f"{base}/login")[0] == 200


def test_user_add_reads_the_new_password_from_its_variable(tmp_path: Path) -> None:
    env = {"IMR_NEW_PASSWORD": "a long enough password"}
    made = run(tmp_path, "user", "add", "dana", "--role", "admin", env=env)
    assert made.returncode == 0, made.stderr
    assert "created admin dana" in made.stdout


def test_settings_prints_every_setting(tmp_path: Path) -> None:
    out = run(tmp_path, "settings")
    assert out.returncode == 0, out.stderr
    for name in ("IMR_SCRIPTS_DIR", "IMR_SFU_VIDEO_BUDGET_KBPS", "--sfu-ice-servers", "PORT"):
        assert name in out.stdout


def test_log_verify_of_an_unknown_session_fails(tmp_path: Path) -> None:
    out = run(tmp_path, "log", "verify", "s_nobody")
    assert out.returncode == 1
    assert "UNKNOWN" in out.stdout and "ok" not in out.stdout


async def test_log_verify_catches_a_cut_tail_that_the_chain_alone_cannot(tmp_path: Path) -> None:
    await make_log(tmp_path)
    with sqlite3.connect(tmp_path / "imr-live.sqlite3") as conn:
        conn.execute("DELETE FROM session_log WHERE seq = 4")
    bad = run(tmp_path, "log", "verify", "s_demo")
    assert bad.returncode == 1
    assert "BROKEN at event 4" in bad.stdout and "removed" in bad.stdout


async def test_log_verify_all_checks_every_session(tmp_path: Path) -> None:
    await make_log(tmp_path)
    db = SqliteDatabase(tmp_path / "imr-live.sqlite3")
    await db.open()
    await SessionLog(db).append("s_other", "u_a", "chat.sent", {"text": "hi"})
    await db.close()
    good = run(tmp_path, "log", "verify", "--all")
    assert good.returncode == 0, good.stdout
    assert "s_demo\tok: 4 events" in good.stdout and "s_other\tok: 1 events" in good.stdout
    with sqlite3.connect(tmp_path / "imr-live.sqlite3") as conn:
        conn.execute("DELETE FROM session_log WHERE session_id = 's_other'")
    bad = run(tmp_path, "log", "verify", "--all")
    assert bad.returncode == 1
    assert "s_other\tBROKEN" in bad.stdout and "2 sessions checked, 1 not intact" in bad.stdout


def test_log_verify_needs_a_session_or_all(tmp_path: Path) -> None:
    assert run(tmp_path, "log", "verify").returncode == 2


async def test_a_log_key_from_another_deployment_does_not_verify(tmp_path: Path) -> None:
    await make_log(tmp_path)
    other = run(tmp_path, "log", "verify", "s_demo", env={"IMR_LOG_KEY": "z" * 40})
    assert other.returncode == 1 and "signature" in other.stdout


def test_production_refuses_to_start_without_a_log_key(tmp_path: Path) -> None:
    out = run(tmp_path, "serve", env={"IMR_PRODUCTION": "1", "SECRET_KEY": "s" * 40})
    assert out.returncode == 2 and "IMR_LOG_KEY" in out.stderr


async def test_log_verify_catches_a_rolled_back_head_table_with_the_anchor(
    tmp_path: Path,
) -> None:
    from imr_live.store.log_anchor import ANCHOR_FILE
    from imr_live.store.log_settings import LogSettings

    env = {"IMR_LOG_ANCHOR_DIR": str(tmp_path / "anchor")}
    db = SqliteDatabase(tmp_path / "imr-live.sqlite3", LogSettings.from_environment(tmp_path, env))
    await db.open()
    log = SessionLog(db)
    for i in range(5):
        await log.append("s_demo", "u_a", "chat.sent", {"i": i})
        if i == 2:
            old_head = (await db.fetch("SELECT event_count, last_hash, mac FROM session_heads"))[0]
    await db.close()  # exports the final heads to the anchor
    anchored = (tmp_path / "anchor" / ANCHOR_FILE).read_text()
    with sqlite3.connect(tmp_path / "imr-live.sqlite3") as conn:
        conn.execute("DELETE FROM session_log WHERE seq > 3")
        conn.execute(
            "UPDATE session_heads SET event_count = ?, last_hash = ?, mac = ?",
            tuple(old_head.values()),
        )
    assert run(tmp_path, "log", "verify", "s_demo").returncode == 0  # the head alone is fooled
    out = run(tmp_path, "log", "verify", "s_demo", env=env)
    assert out.returncode == 1 and "rolled back" in out.stdout
    assert (tmp_path / "anchor" / ANCHOR_FILE).read_text() == anchored  # the verifier only reads
