"""A subscribing offer that gets no answer in time is not the end of that person's media.

Seen in CI: a browser slow to answer (a loaded machine; in life an old phone)
answered after ``answer_timeout_s``. The SFU had given up on that offer, and its
next round found nothing new to offer, so the legs it had added were never
attached: the person saw no one, for the rest of the session.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.sfu.conftest import Harness, eventually


@pytest.fixture
async def impatient(tmp_path: Path) -> AsyncIterator[Harness]:
    h = Harness(tmp_path, answer_timeout_s=0.6)
    try:
        yield h
    finally:
        await h.close()


async def test_an_answer_that_comes_after_the_timeout_still_brings_the_video(
    impatient: Harness,
) -> None:
    ann = impatient.peer("ann")
    ann.answer_delay_s = 1.5
    await ann.join()
    await ann.publish(None)
    await impatient.joined("bob", "blue")

    await eventually(lambda: ann.video_frames_from("bob") >= 10, 20, "ann to see bob")
    assert set(ann.colours["bob"]) == {"blue"}
    # Her answer to the offers sent again while she was slow is the same answer: accepted.
    assert await ann.send({"type": "answer", "sdp": ann.last_answer}) == {"type": "ok"}


async def test_a_lost_offer_is_sent_again_and_its_answer_brings_the_video(
    impatient: Harness,
) -> None:
    ann = impatient.peer("ann")
    await ann.join()
    await ann.publish(None)
    ann.offers_to_ignore = 1
    await impatient.joined("bob", "red")

    await eventually(lambda: ann.video_frames_from("bob") >= 10, 20, "ann to see bob")
    assert set(ann.colours["bob"]) == {"red"}
    assert len(ann.events_of("offer")) >= 2, "the offer came again"


async def test_a_subscriber_that_never_answers_gets_a_fresh_connection_once_it_does(
    impatient: Harness,
) -> None:
    ann = impatient.peer("ann")
    await ann.join()
    await ann.publish(None)
    ann.offers_to_ignore = 4
    await impatient.joined("bob", "green")

    await eventually(lambda: ann.video_frames_from("bob") >= 10, 30, "ann to see bob")
    assert any(o["new_pc"] for o in ann.events_of("offer")[1:]), "a fresh connection was offered"
