"""Phone PINs: a per-person code a caller types on the phone keypad to use their join link.

Only a keyed hash of the PIN is stored (HMAC with the server's secret, so the same PIN
finds its invite again); no phone number is ever stored. The phone gateway trades a PIN
for the link's token and the name to join with.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from imr_live.domain.join_links import Invite, JoinLinks
from imr_live.domain.roles import Role
from imr_live.errors import Conflict, InvalidInput, NotAuthenticated
from imr_live.store.database import Database

PIN = re.compile(r"[0-9]{6,10}")
"""6 to 10 digits: typed on a phone keypad."""

PHONE_ROLES = frozenset({Role.CLIENT, Role.OBSERVER, Role.GUEST_SPEAKER})

NUMBER = re.compile(r"\+?[0-9]{3,15}")
"""A number to dial: digits (3 to 15, E.164's longest), an optional leading +."""
_SEPARATORS = str.maketrans("", "", " -.()/")


def dial_number(text: object) -> str:
    """The digits to dial from what a lead typed (spaces, dashes, dots, brackets allowed).

    The error never repeats the number: it is personal data.
    """
    number = text.translate(_SEPARATORS) if isinstance(text, str) else ""
    if not NUMBER.fullmatch(number):
        raise InvalidInput(
            "number: a phone number of 3 to 15 digits, optionally starting with +",
            code="bad_number",
        )
    return number


class PhonePins:
    """Sets and looks up phone PINs of join links."""

    def __init__(self, db: Database, links: JoinLinks) -> None:
        self.db = db
        self.links = links

    def _hash(self, pin: str) -> str:
        return hmac.new(self.links.secret, b"phone-pin:" + pin.encode(), hashlib.sha256).hexdigest()

    async def set(self, invite: Invite, pin: str, display_name: str) -> None:
        """Give an invite a phone PIN (replacing any earlier one)."""
        if not PIN.fullmatch(pin):
            raise InvalidInput("pin: 6 to 10 digits")
        name = display_name.strip()
        if not 1 <= len(name) <= 60:
            raise InvalidInput("display_name: the name to show, 1-60 characters")
        if invite.role not in PHONE_ROLES:
            raise InvalidInput("only a client, observer or guest speaker can join by phone")
        digest = self._hash(pin)
        row = await self.db.fetchrow("SELECT invite_id FROM phone_pins WHERE pin_hash = ?", digest)
        if row is not None and row["invite_id"] != invite.id:
            raise Conflict("that PIN is taken; choose another", code="pin_taken")
        await self.db.execute("DELETE FROM phone_pins WHERE invite_id = ?", invite.id)
        await self.db.execute(
            "INSERT INTO phone_pins (invite_id, pin_hash, display_name) VALUES (?, ?, ?)",
            invite.id,
            digest,
            name,
        )

    async def phone_name(self, invite_id: str) -> str | None:
        """The name a lead gave this link's phone PIN (None without a PIN)."""
        row = await self.db.fetchrow(
            "SELECT display_name FROM phone_pins WHERE invite_id = ?", invite_id
        )
        return None if row is None else str(row["display_name"])

    async def has_pin(self, invite_id: str) -> bool:
        row = await self.db.fetchrow("SELECT 1 FROM phone_pins WHERE invite_id = ?", invite_id)
        return row is not None

    async def resolve(self, pin: str) -> tuple[str, str]:
        """The token and display name of the valid link with this PIN; NotAuthenticated otherwise."""
        if not PIN.fullmatch(pin):
            raise NotAuthenticated("that PIN is not right", code="bad_pin")
        row = await self.db.fetchrow(
            "SELECT invite_id, display_name FROM phone_pins WHERE pin_hash = ?", self._hash(pin)
        )
        if row is None:
            raise NotAuthenticated("that PIN is not right", code="bad_pin")
        invite = await self.links.still_valid(str(row["invite_id"]))
        return self.links.token_for(invite.id), str(row["display_name"])
