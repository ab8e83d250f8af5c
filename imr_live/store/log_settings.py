"""The session log's signing key and anchor folder: from configuration, never the database."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from imr_live.config import Config, finalize, from_env

LOG_ENV_NAMES = (
    "SECRET_KEY",
    "IMR_PRODUCTION",
    "IMR_LOG_KEY",
    "IMR_LOG_ANCHOR_DIR",
    "IMR_LOG_ANCHOR_INTERVAL_S",
)
"""The settings a database opened outside the server (CLI, tests) reads from the environment."""
_DEV_KEY_LABEL = b"imr-live session log key (development)"


@dataclass(frozen=True, slots=True)
class LogSettings:
    """What the log store needs from configuration to sign and anchor heads."""

    key: bytes
    """HMAC key for signed heads (IMR_LOG_KEY, or derived from SECRET_KEY in development)."""
    anchor_dir: Path | None = None
    """Folder of the append-only anchor file; no anchor when None."""
    anchor_interval_s: float = 60.0
    """Seconds between anchor exports."""
    exports_anchor: bool = True
    """False for a verifier: it reads the anchor and never writes to it."""

    @classmethod
    def from_config(cls, config: Config) -> LogSettings:
        """The settings of ``config`` (a production config must carry IMR_LOG_KEY)."""
        config = finalize(config)
        if config.log_key:
            key = config.log_key.encode()
        else:
            # A distinct label, so the log key never equals the key that signs join links.
            key = hmac.new(config.secret_key.encode(), _DEV_KEY_LABEL, hashlib.sha256).digest()
        return cls(key, config.log_anchor_dir, config.log_anchor_interval_s)

    @classmethod
    def from_environment(
        cls, data_dir: Path | None, environ: Mapping[str, str] | None = None
    ) -> LogSettings:
        """The settings the server would read from this environment with ``data_dir``."""
        environ = os.environ if environ is None else environ
        config = from_env({name: environ[name] for name in LOG_ENV_NAMES if name in environ})
        return cls.from_config(config if data_dir is None else replace(config, data_dir=data_dir))
