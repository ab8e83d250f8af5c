"""The hash chain and the signed head of a session log, independent of any database.

Each event's hash covers its fields and the previous event's hash. A chain alone
can be rebuilt by anyone who can write the table, so each session also has a
head (event count and last hash) signed with a key that is not in the database:
truncating, appending, deleting everything or re-chaining changes the head, and
a new head cannot be signed without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
LOG_COLUMNS = "session_id, seq, at, actor, kind, data, prev_hash, hash"
"""Every column of ``session_log``, in the order rows are read and written."""
_HEAD_LABEL = b"imr-live session head v1"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One row of the session log."""

    session_id: str
    """The live session this event belongs to."""
    seq: int
    """Position in the session's chain, from 1, without gaps."""
    at: int
    """Microseconds since the Unix epoch, as the writer's clock read it."""
    actor: str
    """Participant id of whoever caused it (``system`` for the server)."""
    kind: str
    """What happened, e.g. ``slide.shown`` (see docs/events.md)."""
    data: dict[str, Any]
    """The event's payload (JSON object)."""
    prev_hash: str
    """Hash of the event before (``GENESIS`` for seq 1)."""
    hash: str
    """SHA-256 over this event's fields and ``prev_hash``."""

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready dict (what exports and the wire carry)."""
        return {
            "session_id": self.session_id,
            "seq": self.seq,
            "at": self.at,
            "actor": self.actor,
            "kind": self.kind,
            "data": self.data,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class SignedHead:
    """A session's event count and last hash, with the MAC that vouches for them."""

    session_id: str
    """The session the head belongs to."""
    count: int
    """How many events the session has."""
    last_hash: str
    """Hash of event ``count`` (``GENESIS`` when there are none)."""
    mac: str
    """HMAC-SHA256 over the three fields above with the log key (hex)."""

    def is_signed_by(self, key: bytes) -> bool:
        """True when ``mac`` was made with ``key`` over exactly these fields."""
        return hmac.compare_digest(
            self.mac, head_mac(key, self.session_id, self.count, self.last_hash)
        )


def canonical(data: dict[str, Any]) -> str:
    """Stable JSON text of ``data`` (sorted keys, no spaces): what is stored and hashed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(
    session_id: str, seq: int, at: int, actor: str, kind: str, data: str, prev: str
) -> str:
    """The hash of one event given its stored fields and the previous hash."""
    text = f"{session_id}\x1f{seq}\x1f{at}\x1f{actor}\x1f{kind}\x1f{data}\x1f{prev}"
    return hashlib.sha256(text.encode()).hexdigest()


def head_mac(key: bytes, session_id: str, count: int, last_hash: str) -> str:
    """HMAC-SHA256 binding a session id, its event count and its last hash."""
    message = b"\x1f".join(
        [_HEAD_LABEL, session_id.encode(), str(count).encode(), last_hash.encode()]
    )
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign_head(key: bytes, session_id: str, count: int, last_hash: str) -> SignedHead:
    """A head for ``session_id`` signed with ``key``."""
    return SignedHead(session_id, count, last_hash, head_mac(key, session_id, count, last_hash))


def event_from_row(row: Sequence[Any]) -> LogEvent:
    """A LogEvent from a row read as ``LOG_COLUMNS``."""
    session_id, seq, at, actor, kind, data, prev_hash, digest = row
    return LogEvent(session_id, int(seq), int(at), actor, kind, json.loads(data), prev_hash, digest)


CHAIN_COLUMNS = "seq, at, actor, kind, data, prev_hash, hash"
"""The columns ``ChainCheck`` reads (the session id is the one asked for)."""


class ChainCheck:
    """Walks one session's rows in seq order and remembers the first break.

    Fed in batches of ``CHAIN_COLUMNS`` rows so a million-event session never
    sits in memory; the loop body is one f-string and one SHA-256, which is what
    makes verification fast.
    """

    def __init__(self, session_id: str, anchor: tuple[int, str] | None = None) -> None:
        self.session_id = session_id
        self.count = 0
        self.last_hash = GENESIS
        self.first_bad_seq: int | None = None
        self.problem = ""
        self._anchor = anchor

    def feed(self, rows: Iterable[Sequence[Any]]) -> bool:
        """Check the next rows; False once a break is found (then stop feeding)."""
        sha256, sid = hashlib.sha256, self.session_id
        prev, expected = self.last_hash, self.count + 1
        anchor_seq = self._anchor[0] if self._anchor else 0
        for seq, at, actor, kind, data, prev_hash, digest in rows:
            text = f"{sid}\x1f{seq}\x1f{at}\x1f{actor}\x1f{kind}\x1f{data}\x1f{prev}"
            if (
                seq != expected
                or prev_hash != prev
                or sha256(text.encode()).hexdigest() != digest
                or seq == anchor_seq
            ):
                row = (seq, at, actor, kind, data, prev_hash, digest)
                problem = self._row_problem(expected, prev, row)
                if problem:
                    self.count, self.last_hash = expected - 1, prev
                    self.first_bad_seq, self.problem = expected, problem
                    return False
            prev, expected = digest, expected + 1
        self.count, self.last_hash = expected - 1, prev
        return True

    def _row_problem(self, expected: int, prev: str, row: Sequence[Any]) -> str:
        seq, at, actor, kind, data, prev_hash, digest = row
        if seq != expected:
            return f"event {expected} is missing (next stored is {seq})"
        if prev_hash != prev:
            return f"event {seq} does not chain to event {seq - 1}"
        if chain_hash(self.session_id, seq, at, actor, kind, data, prev) != digest:
            return f"event {seq} was changed after it was written"
        if self._anchor and digest != self._anchor[1]:
            return f"event {seq} differs from the exported anchor: the log was rewritten"
        return ""
