"""The ``imr-live`` command: serve, manage staff, check and export session logs."""

from __future__ import annotations

import argparse
import asyncio
import csv
import getpass
import json
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from imr_live.config import Config, from_env
from imr_live.errors import ImrError

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        config = from_env().with_overrides(
            host=args.host,
            port=args.port,
            data_dir=args.data_dir,
            database_url=args.database_url,
            redis_url=args.redis_url,
        )
        args.config = config
        result: int = args.func(args)
        return result
    except ImrError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands and their flags."""
    parser = argparse.ArgumentParser(prog="imr-live", description=__doc__)
    parser.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default $PORT or 8080)")
    parser.add_argument("--data-dir", type=Path, help="folder for SQLite and the dev secret")
    parser.add_argument("--database-url", help="postgresql://... (default: SQLite in data dir)")
    parser.add_argument("--redis-url", help="redis://... to scale out (default: in memory)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run everything in one process")
    serve.set_defaults(func=cmd_serve)
    webp = sub.add_parser(
        "web", help="a web node of a scaled-out deployment (media on SFU workers)"
    )
    webp.set_defaults(func=cmd_web)
    sfup = sub.add_parser("sfu", help="an SFU worker process (needs REDIS_URL)")
    sfup.set_defaults(func=cmd_sfu)

    user = sub.add_parser("user", help="staff accounts").add_subparsers(
        dest="user_cmd", required=True
    )
    add = user.add_parser("add", help="create a staff account")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["clinician", "co_leader", "supervisor", "admin"]
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_user_add)
    user.add_parser("list", help="list staff accounts").set_defaults(func=cmd_user_list)

    logp = sub.add_parser("log", help="session logs").add_subparsers(dest="log_cmd", required=True)
    verify = logp.add_parser("verify", help="check a session's hash chain")
    verify.add_argument("session")
    verify.set_defaults(func=cmd_log_verify)
    export = logp.add_parser("export", help="write a session's events to stdout")
    export.add_argument("session")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.set_defaults(func=cmd_log_export)

    from imr_live.curriculum.cli import register

    register(sub)
    return parser


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the web node, live channel and SFU in this process."""
    config: Config = args.config
    from aiohttp import web

    from imr_live.config import finalize
    from imr_live.edges.app import RedactingAccessLogger, create_app
    from imr_live.edges.scripts_adapter import load_library

    config = finalize(config)  # an unsafe configuration stops us first
    scripts = load_library(config.scripts_dir)  # an invalid script set stops us here
    app = create_app(config, scripts)
    print(f"IMR Live on http://{config.host}:{config.port}/", flush=True)
    web.run_app(
        app,
        host=config.host,
        port=config.port,
        print=None,
        access_log_class=RedactingAccessLogger,
        shutdown_timeout=3,
    )
    return 0


def cmd_web(args: argparse.Namespace) -> int:
    """Serve as one of several web nodes: Redis fan-out, media on SFU workers."""
    if not args.config.redis_url:
        print(
            "error: a web node needs REDIS_URL (and DATABASE_URL for PostgreSQL)", file=sys.stderr
        )
        return 2
    args.config = args.config.with_overrides(sfu_workers=True)
    return cmd_serve(args)


def cmd_sfu(args: argparse.Namespace) -> int:
    """Run one SFU worker until SIGTERM (one per core)."""
    from imr_live.media.worker import run_worker
    from sfu.config import SfuConfig

    config: Config = args.config
    if not config.redis_url:
        print("error: an SFU worker needs REDIS_URL", file=sys.stderr)
        return 2
    sfu_config = SfuConfig(
        ice_host_addresses=config.ice_hosts, recordings_dir=config.recordings_dir
    )
    asyncio.run(run_worker(config.redis_url, config.redis_prefix, sfu_config))
    return 0


def _with_db(config: Config, fn: Callable[[Any], Awaitable[T]]) -> T:
    from imr_live.store.database import open_database

    async def run() -> T:
        db = await open_database(config.database_url, config.data_dir)
        try:
            return await fn(db)
        finally:
            await db.close()

    return asyncio.run(run())


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create a staff account (the first admin, clinicians, supervisors)."""
    config: Config = args.config
    from imr_live.domain.accounts import Accounts
    from imr_live.domain.roles import StaffRole

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = os.environ.get("IMR_NEW_PASSWORD") or getpass.getpass("Password: ")
    account = _with_db(
        config, lambda db: Accounts(db).add(args.username, password, StaffRole(args.role))
    )
    print(f"created {account.role.value} {account.username} ({account.id})")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    """List staff accounts."""
    config: Config = args.config
    from imr_live.domain.accounts import Accounts

    for account in _with_db(config, lambda db: Accounts(db).all()):
        print(f"{account.id}\t{account.role.value}\t{account.username}")
    return 0


def cmd_log_verify(args: argparse.Namespace) -> int:
    """Print whether a session's chain verifies; exit 1 at the first broken event."""
    config: Config = args.config
    from imr_live.store.session_log import SessionLog

    result = _with_db(config, lambda db: SessionLog(db).verify(args.session))
    if result.ok:
        print(f"ok: {result.count} events, chain intact")
        return 0
    print(f"BROKEN at event {result.first_bad_seq}: {result.problem}")
    return 1


def cmd_log_export(args: argparse.Namespace) -> int:
    """Write every event of a session as JSON lines or CSV."""
    config: Config = args.config
    from imr_live.store.session_log import SessionLog

    async def export(db: Any) -> int:
        writer = csv.writer(sys.stdout) if args.format == "csv" else None
        if writer:
            writer.writerow(
                ["session_id", "seq", "at", "actor", "kind", "data", "prev_hash", "hash"]
            )
        count = 0
        async for event in SessionLog(db).iterate(args.session):
            row = event.as_dict()
            if writer:
                writer.writerow(
                    [
                        *(row[k] for k in ("session_id", "seq", "at", "actor", "kind")),
                        json.dumps(row["data"], sort_keys=True),
                        row["prev_hash"],
                        row["hash"],
                    ]
                )
            else:
                print(json.dumps(row, sort_keys=True))
            count += 1
        return count

    count = _with_db(config, export)
    print(f"{count} events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
