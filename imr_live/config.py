"""One typed configuration tree, from defaults, environment variables and flags.

Every field of ``Config`` (and of its ``sfu_settings`` section, the SFU's own
``SfuConfig``) is a setting: ``SETTINGS`` lists each with its environment
variable, its flag, its default and its docstring, and the CLI, the README's
table and the checks below all read that one list. Unknown ``IMR_*``
environment variables are refused (a typo must not silently fall back to a
default), and production mode refuses to start without a real secret key.
"""

from __future__ import annotations

import ast
import inspect
import ipaddress
import itertools
import json
import os
import re
import secrets
import textwrap
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import MISSING, Field, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from imr_live.errors import ConfigError
from sfu.config import IceServer, SfuConfig

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_FILE = ".dev-secret-key"
TEST_VARIABLES = "IMR_TEST_"
"""Prefix of the test suite's own variables (tests/conftest.py); never settings."""
OTHER_VARIABLES = {
    "IMR_NEW_PASSWORD": "password of the account `imr-live user add` creates (asked when unset)",
}
"""``IMR_*`` variables that are read by one command and are not settings."""


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one IMR Live process."""

    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = field(default=8080, metadata={"env": "PORT"})
    """TCP port."""
    data_dir: Path = Path("data")
    """Folder for the SQLite file and the development secret (relative: to the working folder)."""
    database_url: str | None = field(default=None, metadata={"env": "DATABASE_URL"})
    """postgresql://... for a shared log store; SQLite in the data folder when empty."""
    redis_url: str | None = field(default=None, metadata={"env": "REDIS_URL"})
    """redis://... to fan out across web nodes; in memory when empty."""
    redis_prefix: str = "imr-live:"
    """Prefix of every Redis key and channel, so deployments can share a Redis."""
    secret_key: str = field(default="", metadata={"env": "SECRET_KEY"})
    """Signs join links; generated into the data folder outside production (set it by variable: a flag shows in `ps`)."""
    production: bool = False
    """Refuse unsafe defaults (needs a SECRET_KEY of at least 32 random characters)."""
    public_url: str = ""
    """Base URL of join links, e.g. https://imr.example.org (the request's host when empty)."""
    scripts_dir: Path | None = None
    """Session-script folder; the shipped curriculum when empty."""
    recordings_dir: Path = Path("recordings")
    """Where consented recordings go (relative: to the working folder)."""
    max_event_bytes: int = 64 * 1024
    """Largest Socket.IO message accepted (SDP offers are the largest, ~10 kB)."""
    events_per_second: float = 10.0
    """Sustained live events per connection."""
    event_burst: int = 30
    """Events a connection may send at once before the rate limit applies."""
    address_events_per_second: float = 30.0
    """Sustained live events of all connections from one client address together (at least `events_per_second`)."""
    address_event_burst: int = 90
    """Events one client address may send at once, over all its connections (at least `event_burst`)."""
    connects_per_minute: int = 120
    """New live-channel connections one client address may open per minute."""
    cors_origins: tuple[str, ...] = ()
    """Extra origins allowed to open the live channel, comma-separated (same origin always is)."""
    sfu: bool = True
    """Run the SFU in this process (0 turns media off)."""
    sfu_workers: bool = False
    """Send media to `imr-live sfu` worker processes through Redis (`imr-live web` sets it)."""
    phone_gateway_key: str = field(default="", metadata={"env": "PHONE_GATEWAY_KEY"})
    """Shared secret of the phone gateway (`imr-live phone`); empty: phone PINs cannot be used to join."""
    phone_gateway_url: str = field(default="", metadata={"env": "PHONE_GATEWAY_URL"})
    """Where the server reaches the phone gateway's call endpoint (its `--control-port`, e.g. `http://127.0.0.1:5071`); empty: leads cannot call a phone from the room."""
    media_call_limit_s: float = 15.0
    """Seconds the live channel waits for one media server call; a slower one goes on by itself and the session carries on (its people get `unavailable`)."""
    ice_hosts: tuple[str, ...] = ("127.0.0.1",)
    """Addresses the SFU offers as ICE host candidates, comma-separated."""
    turn_urls: tuple[str, ...] = ()
    """TURN URLs given to admitted participants, comma-separated (docs/deploy.md)."""
    turn_secret: str = ""
    """coturn's static-auth-secret, to mint short-lived TURN credentials (by variable, as SECRET_KEY)."""
    turn_ttl_s: int = 3600
    """How long a participant's TURN credentials stay valid."""
    log_key: str = ""
    """Signs each session log's head, kept out of the database; derived from SECRET_KEY outside production, required there (by variable, as SECRET_KEY)."""
    log_anchor_dir: Path | None = None
    """Write-once folder for the periodic anchor of signed log heads (none: no anchor)."""
    log_anchor_interval_s: float = 60.0
    """Seconds between anchor exports."""
    trusted_proxies: tuple[str, ...] = ()
    """Proxy addresses or networks whose X-Forwarded-For names the client, comma-separated."""
    metrics_token: str = ""
    """Bearer token /metrics asks for; without one only loopback may scrape (by variable, as SECRET_KEY)."""
    attendance_share: float = 0.5
    """Share of a session a client must be present for it to count towards completing its module (more than 0, at most 1)."""
    crisis_resources: tuple[str, ...] = ("988 Suicide & Crisis Lifeline=988", "Emergency=911")
    """Crisis lines shown to clients and in "I need help", comma-separated `name=number` (the clinic's own, e.g. local numbers)."""
    safety_retention_days: float = 90.0
    """Days a client's safety check (where they were, callback and emergency numbers) is kept; older ones are purged, each purge audited."""
    safety_purge_interval_s: float = 3600.0
    """Seconds between purges of safety checks older than `safety_retention_days`."""
    imr_scales_due_days: int = 90
    """Days after a client's last IMR Scales rating (of a version) that the next one is due; the first is due at their first session."""
    handout_max_bytes: int = 10 * 1024 * 1024
    """Largest handout file (PDF, PNG or JPEG) a lead may upload; a larger one is refused (413)."""
    handout_max_pages: int = 30
    """Most pages a handout may have (each is kept as a picture)."""
    clip_max_bytes: int = 50 * 1024 * 1024
    """Largest recovery video (WebM VP8/Opus or MP4 H.264/Opus) a lead may upload; a larger one is refused (413)."""
    clips_dir: Path | None = None
    """Folder of shipped recovery videos (WebM or MP4) every session may play; a `<name>.txt` beside a video gives its title."""
    captions_engine: str = "pocketsphinx"
    """Speech engine for live captions, in a speech process of its own on this server: pocketsphinx (ships an English model) or off."""
    sfu_settings: SfuConfig = field(default_factory=SfuConfig)
    """The SFU's own settings; its ICE hosts and recordings folder are the two above."""

    def __post_init__(self) -> None:
        if not 0 < self.attendance_share <= 1:
            raise ConfigError("attendance_share must be more than 0 and at most 1")
        if self.safety_retention_days <= 0 or self.safety_purge_interval_s <= 0:
            raise ConfigError("safety_retention_days and safety_purge_interval_s must be above 0")
        if self.clip_max_bytes < 1:
            raise ConfigError("clip_max_bytes must be at least 1")
        if self.handout_max_bytes < 1 or self.handout_max_pages < 1:
            raise ConfigError("handout_max_bytes and handout_max_pages must be at least 1")
        if self.imr_scales_due_days < 1:
            raise ConfigError("imr_scales_due_days must be at least 1")
        try:
            networks = tuple(
                str(ipaddress.ip_network(x.strip(), strict=False)) for x in self.trusted_proxies
            )
        except ValueError as exc:
            raise ConfigError(f"IMR_TRUSTED_PROXIES: {exc}") from exc
        object.__setattr__(self, "trusted_proxies", networks)
        self.crisis_lines()

    def crisis_lines(self) -> list[tuple[str, str]]:
        """The crisis resources as (name, number) pairs; ConfigError names a bad one."""
        lines = []
        for entry in self.crisis_resources:
            name, _, number = entry.partition("=")
            if not name.strip() or not re.fullmatch(r"[0-9+() .\-]{2,40}", number.strip()):
                raise ConfigError(f"crisis_resources: {entry[:60]!r} is not name=number")
            lines.append((name.strip(), number.strip()))
        return lines

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the non-None top-level ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def with_settings(self, values: Mapping[str, Any]) -> Config:
        """A copy with ``values``, keyed by ``Setting.name``, applied (sections included)."""
        top = {s.attr: values[s.name] for s in SETTINGS if s.section is None and s.name in values}
        sfu = {s.attr: values[s.name] for s in SETTINGS if s.section and s.name in values}
        try:
            return replace(self, **top, sfu_settings=replace(self.sfu_settings, **sfu))
        except ValueError as exc:  # SfuConfig checks its values
            raise ConfigError(str(exc)) from exc

    def sfu_config(self) -> SfuConfig:
        """The SFU's configuration: its section with this process's ICE hosts and recordings."""
        return replace(
            self.sfu_settings,
            ice_host_addresses=self.ice_hosts,
            recordings_dir=self.recordings_dir,
        )


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting: where it lives in ``Config``, its variable, its flag and what it means."""

    name: str
    """Flat name, also the flag's: ``port``, ``sfu_video_budget_kbps``."""
    section: str | None
    """``Config`` field holding it, or None for a top-level field."""
    attr: str
    """Field name inside its section (or ``Config``)."""
    env: str
    """Environment variable."""
    kind: Any
    """The field's type."""
    default: Any
    """Value when neither the environment nor a flag sets it."""
    doc: str
    """The field's docstring."""

    @property
    def flag(self) -> str:
        """Command-line flag (accepted before or after the sub-command)."""
        return "--" + self.name.replace("_", "-")

    def parse(self, raw: str) -> Any:
        """The typed value of ``raw`` text from the environment or a flag."""
        try:
            return _parser(self.kind)(raw)
        except (ValueError, TypeError) as exc:
            raise ConfigError(f"{self.env}: {exc}") from exc


def from_env(environ: Mapping[str, str] | None = None) -> Config:
    """Defaults overlaid with environment variables; unknown IMR_* names are errors."""
    environ = os.environ if environ is None else environ
    known = {s.env for s in SETTINGS} | set(OTHER_VARIABLES)
    unknown = sorted(
        k
        for k in environ
        if k.startswith("IMR_") and k not in known and not k.startswith(TEST_VARIABLES)
    )
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(unknown)}")
    return Config().with_settings(
        {s.name: s.parse(environ[s.env]) for s in SETTINGS if environ.get(s.env)}
    )


def finalize(config: Config) -> Config:
    """Check the config is safe and fill in a development secret when allowed."""
    if config.production:
        if len(config.secret_key) < 32 or config.secret_key in ("dev", "changeme", "secret"):
            raise ConfigError("production needs SECRET_KEY of at least 32 random characters")
        if len(config.log_key) < 32 or config.log_key == config.secret_key:
            raise ConfigError(
                "production needs IMR_LOG_KEY of at least 32 random characters, not SECRET_KEY"
            )
        return config
    if config.secret_key:
        return config
    return replace(config, secret_key=_dev_secret(config.data_dir))


def settings_table() -> str:
    """The README's settings table (Markdown), one row per setting."""
    rows = ["| env | flag | default | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        rows.append(f"| `{s.env}` | `{s.flag}` | {_shown(s.default)} | {s.doc} |")
    rows += [f"| `{env}` | | | {meaning} |" for env, meaning in OTHER_VARIABLES.items()]
    return "\n".join(rows)


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def _settings() -> Iterator[Setting]:
    for f, kind, doc in _fields_of(Config):
        if f.name != "sfu_settings":
            env = f.metadata.get("env", f"IMR_{f.name.upper()}")
            yield Setting(f.name, None, f.name, env, kind, _default(f), doc)
    derived = {"ice_host_addresses": "ice_hosts", "recordings_dir": "recordings_dir"}
    for f, kind, doc in _fields_of(SfuConfig):
        if f.name not in derived:
            name = f"sfu_{f.name}"
            yield Setting(
                name, "sfu_settings", f.name, f"IMR_{name.upper()}", kind, _default(f), doc
            )


def _fields_of(cls: type) -> Iterator[tuple[Field[Any], Any, str]]:
    """Each dataclass field with its resolved type and its docstring (read from the source)."""
    hints = typing.get_type_hints(cls)
    tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    body = typing.cast(ast.ClassDef, tree.body[0]).body
    docs: dict[str, str] = {}
    for node, after in itertools.pairwise(body):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
                docs[node.target.id] = " ".join(str(after.value.value).split())
    for f in fields(cls):
        if f.name not in docs:
            raise TypeError(f"{cls.__name__}.{f.name} needs a docstring: it is a setting")
        yield f, hints[f.name], docs[f.name]


def _default(f: Field[Any]) -> Any:
    if f.default_factory is not MISSING:
        return f.default_factory()
    return f.default


def _parser(kind: Any) -> Callable[[str], Any]:
    """Text to a value of ``kind``: the few types settings have."""
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType):  # `X | None`: an empty value is unset, so X
        return _parser(next(a for a in args if a is not type(None)))
    if kind is bool:
        return _boolean
    if kind in (int, float, str, Path):
        return typing.cast(Callable[[str], Any], kind)
    if typing.get_origin(kind) is tuple and args[0] is str:
        return lambda raw: tuple(x.strip() for x in raw.split(",") if x.strip())
    if typing.get_origin(kind) is tuple and args[0] is IceServer:
        return _ice_servers
    raise TypeError(f"no parser for settings of type {kind}")


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError(f"expected 1 or 0, got {raw[:20]!r}")
    return value in ("1", "true", "yes")


def _ice_servers(raw: str) -> tuple[IceServer, ...]:
    """Comma-separated STUN/TURN URLs, or a JSON list of ``{"url", "username", "credential"}``."""
    servers: list[Any] = json.loads(raw) if raw.lstrip().startswith("[") else raw.split(",")
    return SfuConfig.from_dict({"ice_servers": servers}).ice_servers


def _shown(default: Any) -> str:
    if default in (None, "", ()):
        return "none"
    if isinstance(default, tuple):
        return "`" + ",".join(str(x) for x in default) + "`"
    if isinstance(default, bool):
        return "1" if default else "0"
    return f"`{default}`"


SETTINGS: tuple[Setting, ...] = tuple(_settings())
"""Every setting, in the order of ``Config`` then its SFU section."""
