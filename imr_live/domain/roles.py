"""Roles of staff accounts and of people in a live session, and what each may do."""

from __future__ import annotations

from enum import StrEnum


class StaffRole(StrEnum):
    """What a staff account is (password login)."""

    CLINICIAN = "clinician"
    CO_LEADER = "co_leader"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


class Role(StrEnum):
    """What a person is inside one live session."""

    LEADER = "leader"
    CO_LEADER = "co_leader"
    SUPERVISOR = "supervisor"
    CLIENT = "client"
    SUPPORTER = "supporter"
    GUEST_SPEAKER = "guest_speaker"
    OBSERVER = "observer"


INVITE_ROLES = frozenset(
    {Role.CLIENT, Role.SUPPORTER, Role.CO_LEADER, Role.GUEST_SPEAKER, Role.OBSERVER}
)
"""Roles a join link can carry."""

LEADS = frozenset({Role.LEADER, Role.CO_LEADER})
"""Roles that run the session: admit, show slides, run role plays."""

SPEAKS = frozenset({Role.LEADER, Role.CO_LEADER, Role.CLIENT, Role.SUPPORTER, Role.GUEST_SPEAKER})
"""Roles that take part (chat, hands, media); observers and supervisors watch."""

EVERYONE = frozenset(Role)

PERMISSIONS: dict[str, frozenset[Role]] = {
    "join": EVERYONE,
    "leave": EVERYONE,
    "consent.set": EVERYONE,
    "waiting.admit": LEADS,
    "waiting.deny": LEADS,
    "session.lock": LEADS,
    "session.end": frozenset({Role.LEADER}),
    "slide.show": LEADS,
    "roleplay.start": LEADS,
    "roleplay.step": LEADS,
    "roleplay.end": LEADS,
    "hand.raise": SPEAKS,
    "hand.lower": SPEAKS,
    "chat.send": SPEAKS,
    "participant.rename": LEADS,
    "participant.mute_request": LEADS,
    "participant.remove": LEADS,
    "assignment.give": LEADS,
    "assignment.review": LEADS,
    "goal.note": LEADS,
    "goal.update": LEADS,
    "scale.record": LEADS | {Role.CLIENT},
    "media": SPEAKS | {Role.OBSERVER, Role.SUPERVISOR},
    "media.server_mute": LEADS,
    "recording.set": frozenset({Role.LEADER}),
}
"""Action name -> roles allowed to do it. Every live-channel event is checked here."""


def allowed(action: str, role: Role) -> bool:
    """True when ``role`` may perform ``action``; unknown actions are never allowed."""
    return role in PERMISSIONS.get(action, frozenset())
