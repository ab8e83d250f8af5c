"""A subscribing offer that gets no answer in time is not the end of that person's media.

Seen in CI: a browser slow to answer (a loaded machine; in life an old phone)
answered after ``answer_timeout_s``. The SFU had given up on that offer, and its
next round found nothing new to offer, so the legs it had added were never
attached: the person saw no one, for the rest of the session.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiortc import RTCSessionDescription

from tests.sfu.conftest import Harness, client_pc, eventually


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


async def test_a_person_whose_answer_lands_as_they_leave_leaves_at_once(
    harness: Harness,
) -> None:
    """Seen in CI (a media server move): everyone re-joins at once, and Ann's answer to
    the SFU's last offer arrived just as her old seat was closed. Python 3.11's
    ``wait_for`` then swallowed the cancel of her negotiation task, so closing her seat
    waited on that task for good, holding the room's lock: nobody's media came back."""
    ann = harness.peer("ann")
    await ann.join()
    await ann.publish(None)
    ann.offers_to_ignore = 1  # answered below, by hand, at the worst moment
    await harness.joined("bob", "red")
    await eventually(lambda: len(ann.events_of("offer")) == 1, 10, "an offer to ann")
    offer = ann.events_of("offer")[0]
    pc = client_pc()
    try:
        await pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type="offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        # The answer and the leave in one go: nothing runs in between.
        assert await ann.send({"type": "answer", "sdp": pc.localDescription.sdp}) == {"type": "ok"}
        await asyncio.wait_for(ann.send({"type": "leave"}), 10)
    finally:
        await pc.close()
    # The room is free: Ann comes back and sees Bob.
    again = harness.peer("ann")
    await again.join()
    await again.publish(None)
    await eventually(lambda: again.video_frames_from("bob") >= 10, 20, "ann to see bob again")
    assert set(again.colours["bob"]) == {"red"}
