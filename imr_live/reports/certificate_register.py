"""Verification codes of issued certificates, and checking them.

A code is an HMAC (server key) over what the certificate shows and the place
in the session log of the event that earned it (session, seq, hash). Issuing
stores that content under the code; checking a code recomputes the HMAC over
the stored content (a row written without the key does not verify) and
confirms the session's hash chain still holds that event unchanged.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from imr_live.domain.clock import now_us
from imr_live.reports.certificates import Certificate, Evidence
from imr_live.store.database import Database
from imr_live.store.session_log import SessionLog

CODE_CHARS = 16
"""Base32 characters of a code (80 bits), shown in groups of four."""

CERTIFICATE_COLUMNS = "code, issued_at, content, session_id, seq, hash"
"""The certificates table's columns, named in every query."""


def code_of(shown: dict[str, Any], evidence: Evidence, key: bytes) -> str:
    """The verification code of a certificate showing ``shown``, earned at ``evidence``."""
    signed = json.dumps(
        {"shown": shown, "evidence": [evidence.session_id, evidence.seq, evidence.hash]},
        sort_keys=True,
        ensure_ascii=False,
    )
    mac = hmac.new(key, signed.encode(), hashlib.sha256).digest()
    raw = base64.b32encode(mac).decode()[:CODE_CHARS]
    return "-".join(raw[i : i + 4] for i in range(0, CODE_CHARS, 4))


def normal_code(text: str) -> str:
    """A code as typed by a person: upper case, dashes where they belong."""
    raw = "".join(ch for ch in text.upper() if ch.isalnum())[:CODE_CHARS]
    return "-".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@dataclass(frozen=True, slots=True)
class Verdict:
    """What checking a code found."""

    code: str
    valid: bool
    """True when the code was issued here and the log that earned it is intact."""
    reason: str
    """Why not, in plain words ('' when valid)."""
    shown: dict[str, Any] | None
    """What the certificate shows, when the code is known."""


class CertificateRegister:
    """Issues codes for certificates and checks them."""

    def __init__(self, db: Database, log: SessionLog, key: bytes) -> None:
        self.db = db
        self.log = log
        self.key = key

    async def issue(self, cert: Certificate) -> str:
        """Store the certificate under its code (idempotent) and return the code."""
        code = code_of(cert.shown(), cert.evidence, self.key)
        ev = cert.evidence
        await self.db.execute(
            "INSERT INTO certificates (code, issued_at, content, session_id, seq, hash) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING",
            code,
            now_us(),
            json.dumps(cert.shown(), ensure_ascii=False),
            ev.session_id,
            ev.seq,
            ev.hash,
        )
        return code

    async def check(self, typed: str) -> Verdict:
        """Whether ``typed`` is the code of a certificate issued here, still backed by its log."""
        code = normal_code(typed)
        row = await self.db.fetchrow(
            f"SELECT {CERTIFICATE_COLUMNS} FROM certificates WHERE code = ?", code
        )
        if row is None:
            return Verdict(code, False, "No certificate has this code.", None)
        shown = json.loads(row["content"])
        evidence = Evidence(row["session_id"], int(row["seq"]), row["hash"])
        if not hmac.compare_digest(code_of(shown, evidence, self.key), code):
            return Verdict(code, False, "The stored certificate was changed.", None)
        if not await self._chain_holds(evidence):
            return Verdict(code, False, "The session record behind it was changed.", shown)
        return Verdict(code, True, "", shown)

    async def _chain_holds(self, evidence: Evidence) -> bool:
        """True when the session's chain verifies and still has the event with that hash."""
        if not (await self.log.verify(evidence.session_id)).ok:
            return False
        events = await self.log.read(evidence.session_id, evidence.seq - 1)
        return bool(events) and (events[0].seq, events[0].hash) == (evidence.seq, evidence.hash)
