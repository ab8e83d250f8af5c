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
    INTERPRETER = "interpreter"
    """Interprets (in a named language) for one person, or for the whole group."""


INVITE_ROLES = frozenset(
    {
        Role.CLIENT,
        Role.SUPPORTER,
        Role.CO_LEADER,
        Role.GUEST_SPEAKER,
        Role.OBSERVER,
        Role.INTERPRETER,
    }
)
"""Roles a join link can carry."""

LEADS = frozenset({Role.LEADER, Role.CO_LEADER})
"""Roles that run the session: admit, show slides, run role plays."""

SPEAKS = frozenset(
    {
        Role.LEADER,
        Role.CO_LEADER,
        Role.CLIENT,
        Role.SUPPORTER,
        Role.GUEST_SPEAKER,
        Role.INTERPRETER,
    }
)
"""Roles that take part (chat, hands, media); observers and supervisors watch."""

OPEN_IN_PRIVATE_MODE = frozenset({Role.LEADER, Role.CO_LEADER, Role.SUPERVISOR, Role.INTERPRETER})
"""Roles that see and are seen by everyone in private group mode; everyone else is a
group member, hidden (video and name) from the other group members."""

HIDDEN_FROM_GUESTS = frozenset({Role.CLIENT, Role.SUPPORTER})
"""Whose names a guest speaker does not see ("Group member") unless the lead allows it."""

EVERYONE = frozenset(Role)
