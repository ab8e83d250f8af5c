"""Polls in the session scripts: written in a session, looked up by id, checked like the rest."""

from __future__ import annotations

from pathlib import Path

from imr_live.curriculum import Curriculum
from imr_live.curriculum.passages import session_passages

from .test_broken_scripts import problems_after

POLL = """\
    polls:
      - key: first
        question: Is this clear?
"""


def test_shipped_polls_are_found_by_id_and_read_by_the_reading_checks(
    curriculum: Curriculum,
) -> None:
    session = curriculum.session("recovery-strategies/1")
    rating, choice = session.polls
    assert (rating.id, rating.options) == ("recovery-strategies/1/hope-check", None)
    assert choice.multiple and len(choice.options or []) == 5
    assert curriculum.poll(choice.id) == choice
    # A variant session built on the core one keeps its polls.
    assert curriculum.session("co-occurring-substance-use/recovery-strategies/1").polls
    texts = [p.text for p in session_passages(session) if p.kind == "poll"]
    assert texts == [
        "How hopeful do you feel today?",
        "What helps you most on a hard day? Being with people. Music. Going for a walk. Rest."
        " Something else.",
    ]


def test_a_poll_key_must_not_repeat_another_item_of_the_session(scripts: Path) -> None:
    (problem,) = problems_after(scripts, "    home_practice:", POLL + "    home_practice:")
    assert problem.message == "duplicate id 'practice-module/1/first'"
    assert problem.field == "sessions[0].polls[0].key"


def test_a_poll_with_one_option_is_refused(scripts: Path) -> None:
    one = POLL + "        options:\n          - Maybe\n"
    (problem,) = problems_after(scripts, "    home_practice:", one + "    home_practice:")
    assert problem.field == "sessions[0].polls[0].options"
