"""Attendance edge cases that a live run cannot reach quickly, over hand-made log events."""

from __future__ import annotations

from typing import Any

from imr_live.domain.sessions import Session, SessionFormat
from imr_live.reports.attendance import attendance
from imr_live.reports.timeline import for_humans, timeline
from imr_live.store.session_log import LogEvent

MIN = 60_000_000
T0 = 1_800_000_000_000_000
SESSION = Session("s_1", "Group", SessionFormat.GROUP, T0, "mod/1", "u_lead")


def events(*rows: tuple[int, str, str, dict[str, Any]]) -> list[LogEvent]:
    return [
        LogEvent("s_1", seq, T0 + minute * MIN, actor, kind, data, "", "")
        for seq, (minute, actor, kind, data) in enumerate(rows, start=1)
    ]


def joined(pid: str, role: str, waiting: bool) -> dict[str, Any]:
    return {"participant": pid, "role": role, "display_name": pid.upper(), "waiting": waiting}


def test_a_live_session_is_measured_up_to_its_last_event() -> None:
    log = events(
        (0, "u_lead", "session.started", {}),
        (0, "u_lead", "participant.joined", joined("u_lead", "leader", False)),
        (2, "p_a", "participant.joined", joined("p_a", "client", True)),
        (3, "u_lead", "participant.admitted", {"participant": "p_a"}),
        (45, "u_lead", "chat.sent", {"text": "still going"}),
    )
    report = attendance(SESSION, log).as_dict()
    people = {p["participant"]: p for p in report["people"]}
    assert report["ongoing"] is True
    assert (people["p_a"]["present_min"], people["p_a"]["late_min"]) == (42.0, 2.0)
    assert people["u_lead"]["present_s"] == 45 * 60
    assert people["p_a"]["left_early"] is False


def test_a_drop_recorded_after_an_outage_counts_presence_up_to_the_close() -> None:
    log = events(
        (0, "u_lead", "session.started", {}),
        (1, "p_d", "participant.joined", joined("p_d", "client", True)),
        (2, "u_lead", "participant.admitted", {"participant": "p_d"}),
        # The connection closed at minute 10 while the store was down; written at minute 25.
        (25, "p_d", "participant.dropped", {"participant": "p_d", "closed_at": T0 + 10 * MIN}),
        (60, "u_lead", "session.ended", {}),
    )
    row = attendance(SESSION, log).people[0]
    assert (row.present_us, row.drops) == (8 * MIN, 1)


def test_leaving_the_waiting_room_is_not_time_present() -> None:
    log = events(
        (5, "u_lead", "session.started", {}),
        (6, "p_b", "participant.joined", joined("p_b", "client", True)),
        (9, "p_b", "participant.left", {"participant": "p_b", "reason": "left"}),
        (60, "u_lead", "session.ended", {}),
    )
    row = attendance(SESSION, log).people[0]
    assert (row.attended, row.present_us, row.left_early) == (False, 0, False)
    assert row.late_us == 1 * MIN  # counted from the actual start, later than planned


def test_a_removed_client_left_early_and_slides_last_until_the_end() -> None:
    log = events(
        (0, "u_lead", "session.started", {}),
        (1, "p_c", "participant.joined", joined("p_c", "client", True)),
        (1, "u_lead", "participant.admitted", {"participant": "p_c"}),
        (2, "u_lead", "slide.shown", {"deck": "mod/1", "slide_id": "x", "index": 2, "count": 9}),
        (10, "u_lead", "participant.removed", {"participant": "p_c"}),
        (62, "u_lead", "session.ended", {}),
    )
    row = attendance(SESSION, log).people[0]
    assert (row.present_us, row.left_early) == (9 * MIN, True)
    slide = timeline(log, ["slides"])[0]
    assert slide.summary == "Slide 3 of 9 shown for 1 h 0 min" and slide.duration_s == 3600
    assert [for_humans(s) for s in (40, 240, 3900)] == ["40 s", "4 min", "1 h 5 min"]


def test_every_kind_the_live_channel_logs_has_words_and_a_filter_group() -> None:
    """A reviewer reads each logged event in words and can filter to it; five kinds
    (spotlight, private mode and captions) were shown as 'name: kind' under 'other'."""
    from imr_live.domain.events import KINDS
    from imr_live.reports.timeline import _GROUP_OF, _SAY

    special = {"roleplay.started", "pairs.started", "pairs.ended"}  # described with the roster
    assert [k for k in KINDS if k not in _SAY and k not in special] == []
    assert [k for k in KINDS if k not in _GROUP_OF] == []
