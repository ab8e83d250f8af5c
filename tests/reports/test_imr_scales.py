"""The IMR Scales instrument as data: 15 items, both versions, own answers, plain words."""

from __future__ import annotations

import textstat
from fhir.resources.R4B.questionnaire import Questionnaire

from imr_live.domain.imr_scales import ITEMS, RATERS, checked, mean_score
from imr_live.reports.fhir import questionnaire

MAX_GRADE = 6.0


def test_fifteen_items_each_with_its_own_five_answers() -> None:
    assert [item.number for item in ITEMS] == list(range(1, 16))
    for item in ITEMS:
        assert len(set(item.answers)) == 5, item.number
        assert item.client_question != item.clinician_question, item.number
    shared = {
        item.answers: [i.number for i in ITEMS if i.answers == item.answers] for item in ITEMS
    }
    # Only the two "when was the last..." items and the two substance items share answers.
    assert sorted(n for n in shared.values() if len(n) > 1) == [[9, 10], [14, 15]]


def test_alcohol_and_drugs_are_separate_items_and_only_medicine_may_not_apply() -> None:
    topics = {item.number: item.topic.lower() for item in ITEMS}
    assert "alcohol" in topics[14] and "drug" not in topics[14]
    assert "drug" in topics[15] and "alcohol" not in topics[15]
    assert [item.number for item in ITEMS if item.does_not_apply] == [13]


def test_the_words_read_at_grade_six_or_below() -> None:
    for item in ITEMS:
        for rater in RATERS:
            text = " ".join([item.question(rater), *item.answers])
            grade = textstat.flesch_kincaid_grade(text)
            assert grade <= MAX_GRADE, (item.number, rater, grade)


def test_the_score_is_the_mean_of_the_answered_items() -> None:
    answers = checked([5, 4, None, 3, 2, 1, 5, 4, 3, 2, 1, 5, None, 4, 3])
    # 13 answered: 5+4+3+2+1+5+4+3+2+1+5+4+3 = 42
    assert mean_score(answers) == round(42 / 13, 2) == 3.23
    assert mean_score((None,) * 15) is None


def test_both_versions_are_valid_fhir_questionnaires() -> None:
    for rater in RATERS:
        found = Questionnaire.model_validate(questionnaire(rater))
        assert [i.linkId for i in found.item] == [str(n) for n in range(1, 16)]
        medicine = found.item[12]
        assert [o.valueCoding.code for o in medicine.answerOption] == [
            "1",
            "2",
            "3",
            "4",
            "5",
            "na",
        ]
