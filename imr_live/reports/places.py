"""Clients expected in a session and who came: people, not links.

A client is expected when one of their own links (role ``client``) was made
before the session ended, was not turned off before it started, had not
expired before it started, and its holder was not turned away from the
waiting room. A client counts once, by ``client_ref`` (by invite when the link
carries none), however many links they had. Supporters' links never count,
even when tagged with the number of the client they support. Anyone who was
in the room as a client counts as expected and present.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from imr_live.reports.attendance import Attendance, SessionAttendance
from imr_live.reports.invites import InviteRecord

if TYPE_CHECKING:
    from imr_live.reports.records import SessionRecord


def expected(invite: InviteRecord, presence: SessionAttendance, row: Attendance | None) -> bool:
    """True when this client link was a place the session should have filled."""
    if not invite.for_client or (row is not None and row.denied):
        return False
    if row is not None and row.attended:
        return True
    start = presence.started_at or presence.scheduled_at
    made_in_time = presence.ended_at is None or invite.created_at < presence.ended_at
    off_before = invite.revoked_at is not None and invite.revoked_at <= start
    return made_in_time and not off_before and invite.expires_at > start


def person_of(invite: InviteRecord) -> str:
    """Who a link stands for: the client's record number, else the link itself."""
    return invite.client_ref or invite.id


def expected_clients(record: SessionRecord) -> dict[str, bool]:
    """Expected client -> whether they were in the room at all."""
    rows = {r.participant: r for r in record.presence.clients()}
    places: dict[str, bool] = {}
    for invite in record.invites:
        row = rows.pop(invite.id, None)
        if expected(invite, record.presence, row):
            came = row is not None and row.attended
            places[person_of(invite)] = places.get(person_of(invite), False) or came
    for pid, row in rows.items():  # in the room as a client without a stored link
        if row.attended:
            places[pid] = True
    return places
