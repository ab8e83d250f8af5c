"""The composed services of one IMR Live process (what the edges call)."""

from __future__ import annotations

from dataclasses import dataclass

from imr_live.config import Config
from imr_live.domain.accounts import Accounts
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_channel import LiveChannel
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.sessions import Sessions
from imr_live.media.backend import MediaBackend
from imr_live.store.database import Database
from imr_live.store.session_log import SessionLog


@dataclass
class Services:
    """Everything a web node holds, built at start-up and closed at shutdown."""

    config: Config
    db: Database
    accounts: Accounts
    sessions: Sessions
    links: JoinLinks
    log: SessionLog
    channel: LiveChannel
    scripts: ScriptLibrary | None = None
    sfu: MediaBackend | None = None
    """The in-process SFU, when media runs here."""
    accepting: bool = True
    """False once shutdown began: new connections are refused."""
