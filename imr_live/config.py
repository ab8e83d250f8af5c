"""One typed configuration tree, from defaults, environment variables and flags.

Unknown ``IMR_*`` environment variables are refused (a typo must not silently
fall back to a default), and production mode refuses to start without a real
secret key.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from imr_live.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_FILE = ".dev-secret-key"


@dataclass(frozen=True, slots=True)
class Config:
    """Settings of one IMR Live process."""

    host: str = "127.0.0.1"
    """Address to listen on."""
    port: int = 8080
    """TCP port (env PORT)."""
    data_dir: Path = REPO_ROOT / "data"
    """Folder for the SQLite file and the development secret (env IMR_DATA_DIR)."""
    database_url: str | None = None
    """postgresql://... for a shared log store; SQLite in data_dir when empty (env DATABASE_URL)."""
    redis_url: str | None = None
    """redis://... to fan out across web nodes; in memory when empty (env REDIS_URL)."""
    redis_prefix: str = "imr-live:"
    """Prefix of every Redis key and channel (env IMR_REDIS_PREFIX), so deployments can share a Redis."""
    secret_key: str = ""
    """Signs join links (env SECRET_KEY). Generated and kept in data_dir outside production."""
    production: bool = False
    """Refuse unsafe defaults (env IMR_PRODUCTION=1)."""
    public_url: str = ""
    """Base URL for join links, e.g. https://imr.example.org (env IMR_PUBLIC_URL)."""
    scripts_dir: Path | None = None
    """Session-script folder; the shipped curriculum when empty (env IMR_SCRIPTS_DIR)."""
    recordings_dir: Path = REPO_ROOT / "recordings"
    """Where consented recordings go (env IMR_RECORDINGS_DIR)."""
    max_event_bytes: int = 64 * 1024
    """Largest Socket.IO message accepted (SDP offers are the largest, ~10 kB)."""
    events_per_second: float = 10.0
    """Sustained live events per connection."""
    event_burst: int = 30
    """Events a connection may send at once before the rate limit applies."""
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    """Extra origins allowed to open the live channel (same origin always is)."""
    sfu: bool = True
    """Run the SFU in this process (env IMR_SFU=0 turns media off)."""
    sfu_workers: bool = False
    """Send media to ``imr-live sfu`` worker processes through Redis (env IMR_SFU_WORKERS=1)."""
    ice_hosts: tuple[str, ...] = ("127.0.0.1",)
    """Addresses the SFU offers as ICE host candidates (env IMR_ICE_HOSTS, comma-separated)."""
    turn_urls: tuple[str, ...] = ()
    """TURN URLs given to admitted participants (env IMR_TURN_URLS, comma-separated)."""
    turn_secret: str = ""
    """coturn's static-auth-secret, to mint short-lived TURN credentials (env IMR_TURN_SECRET)."""
    turn_ttl_s: int = 3600
    """How long a participant's TURN credentials stay valid (env IMR_TURN_TTL_S)."""

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with the non-None ``changes`` applied."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


_ENV: dict[str, tuple[str, Callable[[str], Any]]] = {
    "PORT": ("port", int),
    "DATABASE_URL": ("database_url", str),
    "REDIS_URL": ("redis_url", str),
    "SECRET_KEY": ("secret_key", str),
    "IMR_REDIS_PREFIX": ("redis_prefix", str),
    "IMR_HOST": ("host", str),
    "IMR_DATA_DIR": ("data_dir", Path),
    "IMR_PRODUCTION": ("production", lambda v: v.lower() in ("1", "true", "yes")),
    "IMR_PUBLIC_URL": ("public_url", str),
    "IMR_SCRIPTS_DIR": ("scripts_dir", Path),
    "IMR_RECORDINGS_DIR": ("recordings_dir", Path),
    "IMR_SFU": ("sfu", lambda v: v.lower() not in ("0", "false", "no")),
    "IMR_SFU_WORKERS": ("sfu_workers", lambda v: v.lower() in ("1", "true", "yes")),
    "IMR_ICE_HOSTS": ("ice_hosts", lambda v: tuple(x for x in v.split(",") if x)),
    "IMR_CORS_ORIGINS": ("cors_origins", lambda v: tuple(x for x in v.split(",") if x)),
    "IMR_TURN_URLS": ("turn_urls", lambda v: tuple(x for x in v.split(",") if x)),
    "IMR_TURN_SECRET": ("turn_secret", str),
    "IMR_TURN_TTL_S": ("turn_ttl_s", int),
}


def from_env(environ: Mapping[str, str] | None = None) -> Config:
    """Defaults overlaid with environment variables; unknown IMR_* names are errors."""
    environ = os.environ if environ is None else environ
    unknown = sorted(k for k in environ if k.startswith("IMR_") and k not in _ENV)
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, (attr, convert) in _ENV.items():
        if environ.get(name):
            try:
                values[attr] = convert(environ[name])
            except ValueError as exc:
                raise ConfigError(f"{name}: {exc}") from exc
    return Config(**values)


def finalize(config: Config) -> Config:
    """Check the config is safe and fill in a development secret when allowed."""
    known = {f.name for f in fields(Config)}
    assert known  # the dataclass rejects unknown keys by construction
    if config.production:
        if len(config.secret_key) < 32 or config.secret_key in ("dev", "changeme", "secret"):
            raise ConfigError("production needs SECRET_KEY of at least 32 random characters")
        return config
    if config.secret_key:
        return config
    return replace(config, secret_key=_dev_secret(config.data_dir))


def _dev_secret(data_dir: Path) -> str:
    path = data_dir / DEV_SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(32)
    path.write_text(key)
    path.chmod(0o600)
    return key
