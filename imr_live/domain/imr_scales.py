"""The IMR Scales as data: 15 items, a client and a clinician version, 1-5 answers per item.

The instrument is the published Illness Management and Recovery Scales
(Salyers et al., 2007, Community Mental Health Journal 43:459-480): the same
15 topics in a client version (the client rates themself) and a clinician
version (their clinician rates them), each item with its own answers from 1
(most trouble) to 5 (doing best). The questions and answers here are our own
plain words (short sentences, grade 6), not the instrument's text; each answer
says what the person does or has, so two raters can agree on it.

Scoring: the mean of the items answered (1-5, higher is better). An item left
out or marked "does not apply" is not counted. Subscales (``SUBSCALES``):
recovery, management and substance use, each the mean (and sum) of its
answered items. The item grouping is the one commonly reported for the
instrument; we could not check it against the papers on this machine, so a
program's clinical reviewer should confirm it (it is one table to change).
Another factor analysis (Hasson-Ohayon et al., 2008, Psychiatry Research
160:228-235) names three other factors: coping with illness outcome,
knowledge and goals, and effective medication use with reduced alcohol and
drug use; which items load on each was not available here either.
"""

from __future__ import annotations

from dataclasses import dataclass

INSTRUMENT = "IMR Scales (Salyers et al., 2007)"
URL = "urn:imr-live:questionnaire:imr-scales"
"""Canonical base of our FHIR Questionnaires; ``/client`` or ``/clinician`` is added."""
VERSION = "2007-15"
RATERS = ("client", "clinician")


@dataclass(frozen=True, slots=True)
class ScaleItem:
    """One item: the question for each version and its five answers."""

    number: int
    """1-15, the item's place in the instrument."""
    topic: str
    """What it is about, in a few words."""
    client_question: str
    """The question as the client reads it about themself."""
    clinician_question: str
    """The question as the clinician reads it about the client."""
    answers: tuple[str, str, str, str, str]
    """What each score 1-5 means (1: most trouble, 5: doing best)."""
    does_not_apply: str | None = None
    """When the item may be left as "does not apply", what that means; None: never."""

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 15 or len(self.answers) != 5:
            raise ValueError(f"item {self.number}: needs a number 1-15 and five answers")

    def question(self, rater: str) -> str:
        """The question for the ``client`` or ``clinician`` version."""
        return self.client_question if rater == "client" else self.clinician_question


ITEMS: tuple[ScaleItem, ...] = (
    ScaleItem(
        1,
        "Progress toward personal goals",
        "How far have you got with the goals you set for yourself?",
        "How far has this person got with the goals they set for themself?",
        (
            "No personal goal set yet.",
            "A goal is set, but no steps taken yet.",
            "Some steps taken toward the goal.",
            "Most of the way to the goal.",
            "The goal is reached.",
        ),
    ),
    ScaleItem(
        2,
        "Knowing about the illness",
        "How much do you know about your mental illness and how it is treated?",
        "How much does this person know about their mental illness and its treatment?",
        (
            "Knows almost nothing about it.",
            "Knows a little about it.",
            "Knows some of the main facts.",
            "Knows a lot about it.",
            "Knows it well and can explain it to others.",
        ),
    ),
    ScaleItem(
        3,
        "Family and friends in treatment",
        "How much do family or friends take part in your mental health care?",
        "How much do family or friends take part in this person's mental health care?",
        (
            "No family member or friend takes part.",
            "Someone knows about it but does not help.",
            "Someone helps now and then.",
            "Someone helps often.",
            "Someone helps a lot and talks with the care team.",
        ),
    ),
    ScaleItem(
        4,
        "Time with people outside the family",
        "In a usual week, how often do you spend time with people who are not family or staff?",
        "In a usual week, how often does this person spend time with people who are not "
        "family or staff?",
        (
            "Not at all.",
            "Once or twice a week.",
            "3 to 5 times a week.",
            "6 or 7 times a week.",
            "8 or more times a week.",
        ),
    ),
    ScaleItem(
        5,
        "Time in work, school or other roles",
        "In a usual week, how many hours do you spend working, studying, volunteering, "
        "or caring for someone?",
        "In a usual week, how many hours does this person spend working, studying, "
        "volunteering, or caring for someone?",
        (
            "2 hours or less.",
            "3 to 5 hours.",
            "6 to 15 hours.",
            "16 to 30 hours.",
            "More than 30 hours.",
        ),
    ),
    ScaleItem(
        6,
        "Upset from symptoms",
        "How much do your symptoms upset you?",
        "How much do their symptoms upset this person?",
        (
            "Very upset by them most of the time.",
            "Often upset by them.",
            "Sometimes upset by them.",
            "Rarely upset by them.",
            "Not upset by them, or no symptoms.",
        ),
    ),
    ScaleItem(
        7,
        "Symptoms getting in the way",
        "How much do your symptoms get in the way of daily life, like work, friends or "
        "looking after yourself?",
        "How much do their symptoms get in the way of this person's daily life?",
        (
            "They stop most daily things.",
            "They get in the way a lot.",
            "They get in the way sometimes.",
            "They get in the way a little.",
            "They do not get in the way.",
        ),
    ),
    ScaleItem(
        8,
        "Plan to stay well",
        "Do you have a plan for spotting early warning signs and stopping a relapse?",
        "Does this person have a plan for spotting early warning signs and stopping a relapse?",
        (
            "No plan, and no warning signs known.",
            "Knows some warning signs, but has no plan.",
            "Has part of a plan.",
            "Has a full plan, kept in their head.",
            "Has a full written plan and has shared it with someone.",
        ),
    ),
    ScaleItem(
        9,
        "Last relapse",
        "When did your symptoms last get much worse (a relapse)?",
        "When did this person's symptoms last get much worse (a relapse)?",
        (
            "In the last month.",
            "2 or 3 months ago.",
            "4 to 6 months ago.",
            "7 to 12 months ago.",
            "Not in the past year.",
        ),
    ),
    ScaleItem(
        10,
        "Last hospital stay",
        "When were you last in hospital for your mental health?",
        "When was this person last in hospital for their mental health?",
        (
            "In the last month.",
            "2 or 3 months ago.",
            "4 to 6 months ago.",
            "7 to 12 months ago.",
            "Not in the past year.",
        ),
    ),
    ScaleItem(
        11,
        "Coping",
        "How well do you cope with your mental illness from day to day?",
        "How well does this person cope with their mental illness from day to day?",
        (
            "Hardly copes; things fall apart.",
            "Copes on some days only.",
            "Copes on most days, with a lot of effort.",
            "Copes well on most days.",
            "Copes well nearly every day.",
        ),
    ),
    ScaleItem(
        12,
        "Self-help and peer support",
        "How much do you take part in self-help or peer support groups?",
        "How much does this person take part in self-help or peer support groups?",
        (
            "Does not know of any.",
            "Knows of some, but does not go.",
            "Goes once in a while.",
            "Goes often.",
            "Goes often and finds it helps.",
        ),
    ),
    ScaleItem(
        13,
        "Taking medicine as planned",
        "How often do you take your medicine the way you and your doctor agreed?",
        "How often does this person take their medicine the way they and their doctor agreed?",
        (
            "Never or almost never.",
            "Now and then.",
            "About half the time.",
            "Most of the time.",
            "Every time.",
        ),
        does_not_apply="No medicine is prescribed.",
    ),
    ScaleItem(
        14,
        "Alcohol getting in the way",
        "How much does drinking alcohol get in the way of your life?",
        "How much does drinking alcohol get in the way of this person's life?",
        (
            "It gets in the way of most things.",
            "It gets in the way a lot.",
            "It gets in the way sometimes.",
            "It gets in the way a little.",
            "It does not get in the way at all.",
        ),
    ),
    ScaleItem(
        15,
        "Drugs getting in the way",
        "How much does using street drugs get in the way of your life?",
        "How much does using street drugs get in the way of this person's life?",
        (
            "It gets in the way of most things.",
            "It gets in the way a lot.",
            "It gets in the way sometimes.",
            "It gets in the way a little.",
            "It does not get in the way at all.",
        ),
    ),
)
"""The 15 items in the instrument's order."""

Answers = tuple[int | None, ...]
"""A rating's 15 answers in item order: 1-5, or None (not answered or does not apply)."""


SUBSCALES: dict[str, tuple[int, ...]] = {
    "recovery": (1, 2, 4, 5, 8, 12),
    "management": (3, 6, 7, 9, 10, 11, 13),
    "substance_use": (14, 15),
}
"""Subscale -> item numbers (1-based); every item is in exactly one."""


def subscale_scores(answers: Answers) -> dict[str, dict[str, float | int | None]]:
    """Per subscale: items answered, their sum and their mean (None when none answered)."""
    out: dict[str, dict[str, float | int | None]] = {}
    for name, numbers in SUBSCALES.items():
        given = [answers[n - 1] for n in numbers if answers[n - 1] is not None]
        out[name] = {
            "answered": len(given),
            "sum": sum(a for a in given if a is not None) if given else None,
            "mean": round(sum(a for a in given if a is not None) / len(given), 2)
            if given
            else None,
        }
    return out


def mean_score(answers: Answers) -> float | None:
    """The mean of the answered items, two decimals (None when none is answered)."""
    given = [a for a in answers if a is not None]
    return round(sum(given) / len(given), 2) if given else None


def as_json() -> dict[str, object]:
    """The instrument for the room's forms: each item's questions, answers and "does not apply"."""
    return {
        "instrument": INSTRUMENT,
        "version": VERSION,
        "subscales": {k: list(v) for k, v in SUBSCALES.items()},
        "items": [
            {
                "number": i.number,
                "topic": i.topic,
                "client_question": i.client_question,
                "clinician_question": i.clinician_question,
                "answers": list(i.answers),
                "does_not_apply": i.does_not_apply,
            }
            for i in ITEMS
        ],
    }


def checked(answers: list[object]) -> Answers:
    """``answers`` as 15 scores 1-5 or None; ValueError naming the first bad one."""
    if len(answers) != len(ITEMS):
        raise ValueError(f"the IMR Scales have {len(ITEMS)} items, not {len(answers)}")
    out: list[int | None] = []
    for item, answer in zip(ITEMS, answers, strict=True):
        if answer is not None and (not isinstance(answer, int) or not 1 <= answer <= 5):
            raise ValueError(f"item {item.number}: {answer!r} is not 1-5 or empty")
        out.append(answer)
    return tuple(out)
