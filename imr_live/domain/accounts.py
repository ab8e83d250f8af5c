"""Staff accounts: scrypt password hashes, login throttling and login sessions."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass

from imr_live.domain.clock import SECOND_US, now_us
from imr_live.domain.ids import new_id
from imr_live.domain.rate_limit import SharedCounters
from imr_live.domain.roles import StaffRole
from imr_live.errors import Conflict, InvalidInput, NotAuthenticated, RateLimited
from imr_live.store.database import Database

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
LOGIN_TTL_US = 12 * 3600 * SECOND_US
MIN_PASSWORD = 10
ACCOUNT_MAX_FAILURES = 5
"""Wrong passwords for one username before it is paused (whatever address they came from)."""
ADDRESS_MAX_FAILURES = 50
"""Wrong passwords from one address before it is paused: far above one person's typos, so
a clinic behind one NAT is not locked out by a few, yet one address cannot guess on and on."""


@dataclass(frozen=True, slots=True)
class Account:
    """A staff member who signs in with a password."""

    id: str
    """Opaque account id (used in logs instead of the username)."""
    username: str
    """Login name."""
    role: StaffRole
    """What the account may do across the program."""


def hash_password(password: str) -> str:
    """An scrypt hash with its parameters and salt, as one string."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 2**20
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    """True when ``password`` matches ``stored`` (constant-time compare)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        got = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=64 * 2**20,
        )
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


class LoginThrottle:
    """Refuses logins for a key (username or address) after repeated failures.

    On one node the failures of the last window are kept in memory; with
    ``shared`` counters (Redis) every node counts into the same ones, so a
    guesser cannot spread guesses over the nodes (each count runs for a window
    from its first failure).
    """

    def __init__(self, window_s: float = 900, shared: SharedCounters | None = None) -> None:
        self.window_us = int(window_s * SECOND_US)
        self.window_s = int(window_s)
        self.shared = shared
        self._failures: dict[str, deque[int]] = {}

    async def check(self, *limits: tuple[str, int]) -> None:
        """Raise RateLimited when any ``(key, max_failures)`` has failed too often lately."""
        if self.shared is not None:
            counts = await self.shared.peek([f"login:{key}" for key, _ in limits])
        else:
            counts = [len(self._recent(key)) for key, _ in limits]
        for (_key, max_failures), count in zip(limits, counts, strict=True):
            if count >= max_failures:
                raise RateLimited("too many failed sign-ins; wait 15 minutes and try again")

    async def failed(self, *keys: str) -> None:
        """Count one failure against each key."""
        if self.shared is not None:
            for key in keys:
                await self.shared.hit(f"login:{key}", self.window_s)
            return
        for key in keys:
            self._recent(key).append(now_us())
        self._forget_idle()

    async def succeeded(self, *keys: str) -> None:
        """Forget failures of each key."""
        for key in keys:
            if self.shared is not None:
                await self.shared.forget(f"login:{key}")
            self._failures.pop(key, None)

    def _recent(self, key: str) -> deque[int]:
        q = self._failures.setdefault(key, deque())
        cutoff = now_us() - self.window_us
        while q and q[0] < cutoff:
            q.popleft()
        return q

    def _forget_idle(self) -> None:
        # Guesses at many made-up names each leave a key: drop the expired ones now and
        # then, so the table stays as small as the failures of the last window.
        if len(self._failures) % 1024 == 0:
            for key in [k for k in self._failures if not self._recent(k)]:
                del self._failures[key]


class Accounts:
    """Staff accounts and their login sessions, stored in the database."""

    def __init__(self, db: Database, throttle: LoginThrottle | None = None) -> None:
        self.db = db
        self.throttle = throttle or LoginThrottle()
        _dummy_hash()  # made now, so the first unknown name costs no extra hash

    async def add(self, username: str, password: str, role: StaffRole) -> Account:
        """Create a staff account."""
        username = username.strip().lower()
        if not username or len(username) > 64 or not username.isprintable():
            raise InvalidInput("username must be 1-64 printable characters")
        if len(password) < MIN_PASSWORD:
            raise InvalidInput(f"password must be at least {MIN_PASSWORD} characters")
        if await self.db.fetchrow("SELECT id FROM accounts WHERE username = ?", username):
            raise Conflict("that username is taken")
        account = Account(new_id("u"), username, StaffRole(role))
        await self.db.execute(
            "INSERT INTO accounts (id, username, role, password_hash, created_at, disabled) "
            "VALUES (?, ?, ?, ?, ?, 0)",
            account.id,
            username,
            account.role.value,
            hash_password(password),
            now_us(),
        )
        return account

    async def get(self, account_id: str) -> Account | None:
        """The account with this id, or None."""
        row = await self.db.fetchrow(
            "SELECT id, username, role FROM accounts WHERE id = ? AND disabled = 0", account_id
        )
        return Account(row["id"], row["username"], StaffRole(row["role"])) if row else None

    async def all(self) -> list[Account]:
        """Every enabled account, by username."""
        rows = await self.db.fetch(
            "SELECT id, username, role FROM accounts WHERE disabled = 0 ORDER BY username"
        )
        return [Account(r["id"], r["username"], StaffRole(r["role"])) for r in rows]

    async def login(self, username: str, password: str, address: str = "") -> tuple[Account, str]:
        """Check a password; return the account and a new login token.

        Failures pause the username after ``ACCOUNT_MAX_FAILURES`` and the client
        ``address`` after ``ADDRESS_MAX_FAILURES``, so guesses at other names from a
        shared address do not lock a staff member out. An unknown name costs one scrypt
        too, so the response time does not tell which names exist.
        """
        username = username.strip().lower()
        user_key, address_key = f"user:{username}", f"addr:{address}"
        await self.throttle.check(
            (user_key, ACCOUNT_MAX_FAILURES), (address_key, ADDRESS_MAX_FAILURES)
        )
        row = await self.db.fetchrow(
            "SELECT id, username, role, password_hash FROM accounts "
            "WHERE username = ? AND disabled = 0",
            username,
        )
        stored = row["password_hash"] if row is not None else _dummy_hash()
        if not await asyncio.to_thread(check_password, password, stored) or row is None:
            await self.throttle.failed(user_key, address_key)
            raise NotAuthenticated("wrong username or password")
        await self.throttle.succeeded(user_key)
        token = secrets.token_urlsafe(32)
        await self.db.execute(
            "INSERT INTO staff_sessions (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
            _token_hash(token),
            row["id"],
            now_us() + LOGIN_TTL_US,
        )
        return Account(row["id"], row["username"], StaffRole(row["role"])), token

    async def from_token(self, token: str) -> Account:
        """The account a login token belongs to; NotAuthenticated if unknown or expired."""
        row = await self.db.fetchrow(
            "SELECT account_id, expires_at FROM staff_sessions WHERE token_hash = ?",
            _token_hash(token),
        )
        account = await self.get(row["account_id"]) if row else None
        if row is None or account is None or int(row["expires_at"]) < now_us():
            raise NotAuthenticated("please sign in again")
        return account

    async def logout(self, token: str) -> None:
        """End a login session."""
        await self.db.execute("DELETE FROM staff_sessions WHERE token_hash = ?", _token_hash(token))


@functools.cache
def _dummy_hash() -> str:
    """A hash no password matches, checked for unknown names so they cost the same time."""
    return hash_password(secrets.token_urlsafe(32))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
