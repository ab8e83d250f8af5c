"""The goal worksheet checks what the live channel records as ``goal.noted``."""

from __future__ import annotations

import pytest

from imr_live.curriculum import Curriculum
from imr_live.errors import InvalidInput

GOAL = {
    "goal": "Get a part-time job",
    "short_term": [{"goal": "Update my resume", "steps": ["Ask my worker for help", "Print it"]}],
}


def test_a_recorded_goal_round_trips_as_event_data(curriculum: Curriculum) -> None:
    entry = curriculum.goal_worksheet.parse_entry(GOAL)
    assert entry.as_data() == GOAL


def test_the_worked_example_fits_the_worksheet(curriculum: Curriculum) -> None:
    sheet = curriculum.goal_worksheet
    assert sheet.parse_entry(sheet.example.as_data()) == sheet.example


@pytest.mark.parametrize(
    "data",
    [
        {"goal": "x"},
        {"goal": "", "short_term": []},
        {"goal": "x", "short_term": [{"goal": "y"}]},
        {"goal": "x", "short_term": [{"goal": "y", "steps": [3]}]},
        {"goal": "x", "short_term": [{"goal": "y", "steps": []}] * 9},
        "just text",
    ],
)
def test_malformed_goal_data_is_refused(curriculum: Curriculum, data: object) -> None:
    with pytest.raises(InvalidInput):
        curriculum.goal_worksheet.parse_entry(data)
