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
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from imr_live import log_limits
from imr_live.config import SETTINGS, Config, Setting, from_env, settings_table
from imr_live.errors import ImrError

T = TypeVar("T")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    log_limits.install()
    try:
        args.config = config_of(args)
        result: int = args.func(args)
        return result
    except ImrError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


def build_parser() -> argparse.ArgumentParser:
    """All sub-commands and their flags."""
    parser = argparse.ArgumentParser(prog="imr-live", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run everything in one process")
    serve.set_defaults(func=cmd_serve)
    webp = sub.add_parser(
        "web", help="a web node of a scaled-out deployment (media on SFU workers)"
    )
    webp.set_defaults(func=cmd_web)
    sfup = sub.add_parser("sfu", help="an SFU worker process (needs REDIS_URL)")
    sfup.set_defaults(func=cmd_sfu)
    phonep = sub.add_parser(
        "phone", help="the phone gateway: SIP callers join sessions by phone PIN (docs/phone.md)"
    )
    phonep.add_argument("--server", default="http://127.0.0.1:8080", help="the IMR Live server")
    phonep.add_argument("--sip-host", default="127.0.0.1", help="address to take SIP calls on")
    phonep.add_argument("--sip-port", type=int, default=5070, help="UDP port for SIP")
    phonep.add_argument(
        "--sip-peer",
        default="127.0.0.1:5060",
        help="host:port of the SIP trunk or PBX: calls placed for leads go there (INVITE "
        "sip:<number>@<host>); answers to callers go back to whoever called",
    )
    phonep.add_argument("--rtp-ports", default="10000-20000", help="UDP ports for call audio")
    phonep.add_argument(
        "--control-host", default="127.0.0.1", help="address of the HTTP port the server calls"
    )
    phonep.add_argument(
        "--control-port",
        type=int,
        default=5071,
        help="HTTP port where the server asks for calls to leads' callees (0: no dial-out); "
        "the server's PHONE_GATEWAY_URL points here",
    )
    phonep.set_defaults(func=cmd_phone)

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
    verify = logp.add_parser("verify", help="check a session's chain, signed head and anchor")
    verify.add_argument("session", nargs="?")
    verify.add_argument("--all", action="store_true", help="check every session")
    verify.set_defaults(func=cmd_log_verify)
    export = logp.add_parser("export", help="write a session's events to stdout")
    export.add_argument("session")
    export.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    export.set_defaults(func=cmd_log_export)

    from imr_live.curriculum.cli import register

    register(sub)
    sub.add_parser("settings", help="every setting as the README's table").set_defaults(
        func=cmd_settings
    )
    eventsp = sub.add_parser("events", help="the live channel's event catalogue, generated")
    eventsp.add_argument("form", choices=["md", "js"], help="docs/events.md block or events.js")
    eventsp.set_defaults(func=cmd_events)
    _accept_settings(parser)
    return parser


def config_of(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Config:
    """The settings of a parsed command line: its flags over the environment over defaults."""
    flags = {s.name: getattr(args, _dest(s)) for s in SETTINGS if hasattr(args, _dest(s))}
    return from_env(environ).with_settings(flags)


def _accept_settings(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every sub-command under it a flag per setting.

    So a setting goes before or after the sub-command alike (``imr-live serve
    --port 8081``). A flag that is not given leaves no value, so the
    environment's stays.
    """
    group = parser.add_argument_group(
        "settings (also from the environment, see `imr-live settings`)"
    )
    for setting in SETTINGS:
        if setting.kind is bool:
            group.add_argument(
                setting.flag,
                dest=_dest(setting),
                action=argparse.BooleanOptionalAction,
                default=argparse.SUPPRESS,
                help=f"{setting.doc} ({setting.env})",
            )
        else:
            group.add_argument(
                setting.flag,
                dest=_dest(setting),
                type=_flag_parser(setting),
                default=argparse.SUPPRESS,
                metavar=setting.env,
                help=setting.doc,
            )
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _accept_settings(child)


def _dest(setting: Setting) -> str:
    return f"setting_{setting.name}"


def _flag_parser(setting: Setting) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            return setting.parse(raw)
        except ImrError as exc:
            raise argparse.ArgumentTypeError(exc.message) from exc

    return parse


def cmd_settings(args: argparse.Namespace) -> int:
    """Print every setting with its variable, flag, default and meaning (Markdown)."""
    print(settings_table())
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    """Print the catalogue as docs/events.md's block (md) or web/static/js/events.js (js)."""
    from imr_live.domain import events

    print(events.markdown() if args.form == "md" else events.browser_module(), end="")
    return 0


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


def cmd_phone(args: argparse.Namespace) -> int:
    """Run the phone gateway until stopped (needs `pip install 'imr-live[phone]'`)."""
    from imr_live.phone.gateway import GatewayConfig, serve

    config: Config = args.config
    if not config.phone_gateway_key:
        print(
            "error: the phone gateway needs PHONE_GATEWAY_KEY (the server's too)", file=sys.stderr
        )
        return 2
    host, _, port = args.sip_peer.rpartition(":")
    low, _, high = args.rtp_ports.partition("-")
    if not host or not port.isdigit() or not low.isdigit() or not high.isdigit():
        print("error: --sip-peer is host:port and --rtp-ports low-high", file=sys.stderr)
        return 2
    gateway = GatewayConfig(
        server=args.server.rstrip("/"),
        gateway_key=config.phone_gateway_key,
        sip_host=args.sip_host,
        sip_port=args.sip_port,
        peer_host=host,
        peer_port=int(port),
        rtp_low=int(low),
        rtp_high=int(high),
        control_host=args.control_host,
        control_port=args.control_port,
    )
    try:
        asyncio.run(serve(gateway))
    except KeyboardInterrupt:
        pass
    return 0


def cmd_sfu(args: argparse.Namespace) -> int:
    """Run one SFU worker until SIGTERM (one per core)."""
    from imr_live.media.worker import run_worker

    config: Config = args.config
    if not config.redis_url:
        print("error: an SFU worker needs REDIS_URL", file=sys.stderr)
        return 2
    asyncio.run(run_worker(config.redis_url, config.redis_prefix, config.sfu_config()))
    return 0


def _with_db(config: Config, fn: Callable[[Any], Awaitable[T]]) -> T:
    from imr_live.store.database import open_database
    from imr_live.store.log_settings import LogSettings

    async def run() -> T:
        settings = LogSettings.from_config(config)
        db = await open_database(config.database_url, config.data_dir, log_settings=settings)
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
    """Check one session (or ``--all``); exit 1 on any break or an unknown session."""
    config: Config = args.config
    from imr_live.store.log_report import verify_report

    if bool(args.session) == bool(args.all):
        print("error: name one session or give --all", file=sys.stderr)
        return 2
    lines, code = asyncio.run(verify_report(config, None if args.all else args.session))
    print("\n".join(lines))
    return code


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
