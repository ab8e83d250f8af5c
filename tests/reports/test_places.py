"""Expected clients by hand-made logs and invites: the rules a live run reaches slowly."""

from __future__ import annotations

from typing import Any

from imr_live.domain.roles import Role
from imr_live.domain.sessions import Session, SessionFormat
from imr_live.reports.invites import InviteRecord
from imr_live.reports.places import expected_clients
from imr_live.reports.records import SessionRecord
from imr_live.store.session_log import LogEvent

MIN = 60_000_000
T0 = 1_800_000_000_000_000
"""The session starts here and ends an hour later."""
SESSION = Session("s_1", "Group", SessionFormat.GROUP, T0, "mod/1", "u_lead")


def came(pid: str, minute: int) -> list[tuple[int, str, str, dict[str, Any]]]:
    joined = {"participant": pid, "role": "client", "display_name": pid, "waiting": True}
    return [
        (minute, pid, "participant.joined", joined),
        (minute, "u_lead", "participant.admitted", {"participant": pid}),
    ]


def record(
    invites: list[InviteRecord], *rows: tuple[int, str, str, dict[str, Any]]
) -> SessionRecord:
    every = [(0, "u_lead", "session.started", {}), *rows, (60, "u_lead", "session.ended", {})]
    events = [
        LogEvent("s_1", seq, T0 + minute * MIN, actor, kind, data, "", "")
        for seq, (minute, actor, kind, data) in enumerate(sorted(every, key=lambda r: r[0]), 1)
    ]
    return SessionRecord(SESSION, events, invites)


def link(pid: str, ref: str | None, *, made: int = -60, ends: int = 600, off: int | None = None,
         role: Role = Role.CLIENT) -> InviteRecord:  # fmt: skip
    """A link made, expiring and turned off at these minutes from the start."""
    revoked = None if off is None else T0 + off * MIN
    return InviteRecord(pid, "s_1", role, ref, T0 + made * MIN, T0 + ends * MIN, revoked)


def test_a_link_turned_off_after_the_start_was_still_a_place() -> None:
    found = record([link("p_a", "C-1", off=10), link("p_b", "C-2", off=-5)])
    assert expected_clients(found) == {"C-1": False}


def test_links_made_after_the_end_or_expired_before_the_start_are_no_place() -> None:
    found = record(
        [link("p_a", "C-1", made=61), link("p_b", "C-2", ends=-1), link("p_c", "C-3", ends=5)]
    )
    assert expected_clients(found) == {"C-3": False}  # it worked for the first five minutes


def test_a_client_with_two_links_is_one_person() -> None:
    found = record([link("p_a", "C-1"), link("p_b", "C-1")], *came("p_b", 3))
    assert expected_clients(found) == {"C-1": True}


def test_a_supporter_tagged_with_the_client_is_not_the_client() -> None:
    helper = link("p_s", "C-1", role=Role.SUPPORTER)
    joined = {"participant": "p_s", "role": "supporter", "display_name": "S", "waiting": True}
    rows = [
        (2, "p_s", "participant.joined", joined),
        (2, "u_lead", "participant.admitted", {"participant": "p_s"}),
    ]
    assert expected_clients(record([link("p_a", "C-1"), helper], *rows)) == {"C-1": False}


def test_a_stranger_turned_away_is_no_place_but_a_client_who_came_is_one() -> None:
    stranger = {"participant": "p_x", "role": "client", "display_name": "X", "waiting": True}
    rows = [
        (4, "p_x", "participant.joined", stranger),
        (5, "u_lead", "participant.denied", {"participant": "p_x"}),
        *came("p_b", 6),
    ]
    found = record([link("p_x", None), link("p_b", None, off=-1)], *rows)
    assert expected_clients(found) == {
        "p_b": True  # in the room: counted, whatever became of the link
    }
