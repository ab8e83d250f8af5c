"""Polls and quick ratings: a lead asks, people answer, the counts stay anonymous.

Who chose what is logged (``poll.answered``) and heard only by staff and the
person who answered. Everyone else gets a ``poll.tally`` message with the counts
alone, and only when the lead chose to show them (staff always get it).
"""

from __future__ import annotations

import logging

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged, PollAck
from imr_live.domain.ids import new_id
from imr_live.domain.live_state import OpenPoll
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger("imr_live.polls")
RATING = ["1", "2", "3", "4", "5"]
"""The options of a quick rating."""


class Polls:
    """Opening, answering and closing the one poll a session has open at a time."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "poll.open": self.open,
            "poll.answer": self.answer,
            "poll.close": self.close,
        }

    async def open(self, seat: Seat, live: LiveSession, cmd: c.OpenPoll) -> PollAck:
        """Ask the room a question; one poll at a time."""
        if live.state.poll is not None:
            raise Conflict("a poll is already open; close it first")
        if (cmd.question is None) == (cmd.poll_ref is None):
            raise InvalidInput("give either question (with options) or poll_ref")
        question, options, multiple = self._asked(cmd)
        data = e.PollOpened(
            poll_id=new_id("p"),
            question=question,
            options=options or RATING,
            multiple=multiple,
            show_results=cmd.show_results,
        )
        if cmd.poll_ref is not None:
            data = data.model_copy(update={"ref": cmd.poll_ref})
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return PollAck(seq=ev.seq, poll_id=data.poll_id)

    def _asked(self, cmd: c.OpenPoll) -> tuple[str, list[str] | None, bool]:
        """Question, options and whether several may be chosen: typed, or from the script."""
        if cmd.poll_ref is None:
            assert cmd.question is not None
            return cmd.question, cmd.options, cmd.multiple
        if cmd.options is not None:
            raise InvalidInput("options: a script poll brings its own")
        curriculum = getattr(self.r.need_scripts(), "curriculum", None)
        if curriculum is None:
            raise NotFound("poll_ref: no script polls on this server")
        poll = curriculum.poll(cmd.poll_ref)
        return str(poll.question), poll.options, bool(poll.multiple)

    async def answer(self, seat: Seat, live: LiveSession, cmd: c.AnswerPoll) -> Logged:
        """Answer (or change your answer to) the open poll."""
        poll = self._open(live, cmd.poll_id)
        choices = sorted(set(cmd.choices))
        if any(choice >= len(poll.asked.options) for choice in choices):
            raise InvalidInput(f"choices: this poll has {len(poll.asked.options)} options")
        if len(choices) > 1 and not poll.asked.multiple:
            raise InvalidInput("choices: this poll takes one answer")
        data = e.PollAnswered(
            participant=seat.participant_id, poll_id=poll.asked.poll_id, choices=choices
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.PRIVATE)
        await self._tally(live, poll, ev.seq)
        return Logged(seq=ev.seq)

    async def close(self, seat: Seat, live: LiveSession, cmd: c.ClosePoll) -> Logged:
        """Close the open poll, sharing the final counts with the room or not."""
        poll = self._open(live, cmd.poll_id)
        data = e.PollClosed(
            poll_id=poll.asked.poll_id, answered=len(poll.answers), shared=cmd.share
        )
        if cmd.share:  # unshared counts never leave the server, not even as a null field
            data = data.model_copy(update={"counts": poll.counts()})
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    @staticmethod
    def _open(live: LiveSession, poll_id: str) -> OpenPoll:
        poll = live.state.poll
        if poll is None or poll.asked.poll_id != poll_id:
            raise Conflict("that poll is not open", code="poll_closed")
        return poll

    async def _tally(self, live: LiveSession, poll: OpenPoll, seq: int) -> None:
        """Tell who may see the counts (the room, or staff only) what they are now."""
        sid = live.state.session_id
        tally: e.JsonObject = {
            "poll_id": poll.asked.poll_id,
            "seq": seq,
            "answered": len(poll.answers),
            "counts": list(poll.counts()),
        }
        send = self.r.fanout.to_room if poll.asked.show_results else self.r.fanout.to_staff
        try:
            await send(sid, "poll.tally", tally)
        except Exception:  # the answer is logged: a lost tally is not a refusal
            log.exception("poll tally after event %s not delivered", seq)
