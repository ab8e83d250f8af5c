"""The schema's versions and the migrations that bring any database to the newest.

``schema_version`` records each migration applied. A database made before it
existed (main at 532b0be) has the version-1 tables and no version row; the
version-1 statements are all ``IF NOT EXISTS``, so it is upgraded like a new one.
Migrations run on every start, under a lock, and each one is safe to re-run.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from imr_live.errors import Unavailable
from imr_live.store.log_chain import ChainCheck, sign_head
from imr_live.store.log_settings import LogSettings
from imr_live.store.log_store import LogStore
from imr_live.store.sql import Statements


class Migratable(Statements, Protocol):
    """A store the migrations can run on: statements, its log store and the log's key."""

    @property
    def log_settings(self) -> LogSettings:
        """The session log's key (to sign the heads of existing sessions)."""

    def log_store(self) -> LogStore:
        """The session log's reads and writer."""


log = logging.getLogger(__name__)

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at BIGINT NOT NULL
);
"""

V1_TABLES = """
CREATE TABLE IF NOT EXISTS accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS staff_sessions (
    token_hash TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    format TEXT NOT NULL,
    scheduled_at BIGINT NOT NULL,
    script_ref TEXT,
    leader_id TEXT NOT NULL,
    co_leader_ids TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS invites (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    role TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT,
    client_ref TEXT
);
CREATE INDEX IF NOT EXISTS invites_by_session ON invites (session_id);
CREATE TABLE IF NOT EXISTS session_log (
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (session_id, seq)
);
CREATE TABLE IF NOT EXISTS audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    account_id TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL
);
"""

V2_SESSION_HEADS = """
CREATE TABLE IF NOT EXISTS session_heads (
    session_id TEXT PRIMARY KEY,
    event_count BIGINT NOT NULL,
    last_hash TEXT NOT NULL,
    mac TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class Migration:
    """One step of the schema: statements, then an optional data step."""

    version: int
    """The schema version this step brings the database to."""
    statements: str
    """DDL, each statement safe to run twice."""
    data_step: Callable[[Migratable], Awaitable[None]] | None = None
    """Fills or converts rows after ``statements``; safe to run twice."""


async def sign_existing_heads(db: Migratable) -> None:
    """Sign the head of every session written before heads existed, if its chain holds.

    A session whose chain is already broken gets no head, so verification keeps
    reporting it instead of sealing the damage.
    """
    store = db.log_store()
    rows = await db.fetch_values("SELECT DISTINCT session_id FROM session_log")
    for (session_id,) in rows:
        check = ChainCheck(session_id)
        async for batch in store.scan(session_id):
            if not check.feed(batch):
                break
        if check.first_bad_seq is not None:
            log.warning("session log %s: chain broken before upgrade; left unsigned", session_id)
            continue
        await store.store_head(
            sign_head(db.log_settings.key, session_id, check.count, check.last_hash)
        )


V3_CERTIFICATES = """
CREATE TABLE IF NOT EXISTS certificates (
    code TEXT PRIMARY KEY,
    issued_at BIGINT NOT NULL,
    content TEXT NOT NULL,
    session_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
"""
"""Certificates issued, each bound to the log event that earned it (reports/certificate_register)."""

V4_SAFETY_CHECKS = """
CREATE TABLE IF NOT EXISTS safety_checks (
    session_id TEXT NOT NULL,
    participant_id TEXT NOT NULL,
    client_ref TEXT,
    location TEXT NOT NULL,
    callback TEXT NOT NULL,
    emergency_contact TEXT,
    confirmed_at BIGINT NOT NULL,
    PRIMARY KEY (session_id, participant_id)
);
CREATE INDEX IF NOT EXISTS safety_checks_by_client ON safety_checks (client_ref);
"""
"""Where a client is today and how to reach them (domain/safety): personal data kept out of the log."""

V5_CARE_RECORDS = """
CREATE TABLE IF NOT EXISTS care_plans (
    client_ref TEXT NOT NULL,
    kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    content TEXT NOT NULL,
    written_by TEXT NOT NULL,
    written_at BIGINT NOT NULL,
    note TEXT,
    PRIMARY KEY (client_ref, kind, version)
);
CREATE TABLE IF NOT EXISTS fidelity_ratings (
    id TEXT PRIMARY KEY,
    scale TEXT NOT NULL,
    target TEXT NOT NULL,
    leader_id TEXT,
    rated_by TEXT NOT NULL,
    rated_at BIGINT NOT NULL,
    source TEXT NOT NULL,
    items TEXT NOT NULL,
    comment TEXT
);
CREATE INDEX IF NOT EXISTS fidelity_ratings_by_target ON fidelity_ratings (scale, target);
CREATE INDEX IF NOT EXISTS safety_checks_by_time ON safety_checks (confirmed_at);
CREATE TABLE IF NOT EXISTS session_plans (
    session_id TEXT PRIMARY KEY,
    plan_id TEXT NOT NULL,
    title TEXT NOT NULL,
    variant TEXT,
    module_ids TEXT NOT NULL,
    session_refs TEXT NOT NULL,
    chosen_by TEXT NOT NULL,
    stored_at BIGINT NOT NULL
);
"""
"""Versioned relapse-prevention and stress plans of clients (every version a row, never
updated: domain/care_plans), fidelity ratings by supervisors (domain/fidelity), the plan
stored with each session at its creation (reports/session_plans), and the index the safety
checks' retention purge reads."""
V6_INTERPRETER_INVITES = """
CREATE TABLE IF NOT EXISTS interpreter_invites (
    invite_id TEXT PRIMARY KEY,
    language TEXT NOT NULL,
    interprets_for TEXT
);
"""
"""An interpreter's join link: the language, and whom they interpret for (None: the group)."""

V7_GUEST_WINDOWS = """
CREATE TABLE IF NOT EXISTS guest_windows (
    invite_id TEXT PRIMARY KEY,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL
);
"""
"""A guest speaker's join link with a time window: inside it they skip the waiting room."""

V8_HANDOUTS = """
CREATE TABLE IF NOT EXISTS handouts (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    title TEXT NOT NULL,
    pages INTEGER NOT NULL,
    uploaded_by TEXT NOT NULL,
    uploaded_at BIGINT NOT NULL,
    first_shown_at BIGINT
);
CREATE INDEX IF NOT EXISTS handouts_by_session ON handouts (session_id);
CREATE TABLE IF NOT EXISTS handout_pages (
    handout_id TEXT NOT NULL,
    page INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    png BYTEA NOT NULL,
    PRIMARY KEY (handout_id, page)
);
"""
"""Handouts a lead uploaded to a session, as PNG page images rendered on the server (the
uploaded file itself is not kept); ``first_shown_at`` is set when a lead first shows one in
the room (from then on the session's people, and its clients in My IMR, may open it)."""

V9_PHONE_PINS = """
CREATE TABLE IF NOT EXISTS phone_pins (
    invite_id TEXT PRIMARY KEY,
    pin_hash TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL
);
"""
"""A join link's phone PIN (a keyed hash, never the digits) and the name the phone gateway
joins with. No phone number is stored."""

MIGRATIONS = (
    Migration(1, V1_TABLES),
    Migration(2, V2_SESSION_HEADS, sign_existing_heads),
    Migration(3, V3_CERTIFICATES),
    Migration(4, V4_SAFETY_CHECKS),
    Migration(5, V5_CARE_RECORDS),
    Migration(6, V6_INTERPRETER_INVITES),
    Migration(7, V7_GUEST_WINDOWS),
    Migration(8, V8_HANDOUTS),
    Migration(9, V9_PHONE_PINS),
)
LATEST = MIGRATIONS[-1].version


async def migrate(db: Migratable) -> int:
    """Apply every migration newer than the database's version; return the new version.

    The caller holds the engine's migration lock (one process migrates at a time).
    """
    await db.execute_script(VERSION_TABLE)
    row = await db.fetch_values("SELECT MAX(version) FROM schema_version")
    current = int(row[0][0] or 0)
    if current > LATEST:
        raise Unavailable(
            f"the database's schema is version {current}, newer than this IMR Live knows"
            f" ({LATEST}); run the newer version"
        )
    for step in MIGRATIONS:
        if step.version <= current:
            continue
        await db.execute_script(step.statements)
        if step.data_step is not None:
            await step.data_step(db)
        await db.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)"
            " ON CONFLICT (version) DO NOTHING",
            step.version,
            time.time_ns() // 1000,
        )
        log.info("database schema now at version %d", step.version)
        current = step.version
    return current
