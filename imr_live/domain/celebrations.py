"""Celebrations: the group cheers a module completed or a goal reached, if the client agrees.

A lead offers (only staff and that client hear the offer); the client says yes
or no. A yes is shown to everyone; a no is heard only by staff. Nothing is
shown to the group without the client's own yes.
"""

from __future__ import annotations

from typing import Literal

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import CelebrationAck, Logged
from imr_live.domain.ids import new_id
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound

GOAL_TITLE = "a personal recovery goal"


class Celebrations:
    """Offers of a celebration and the client's answer."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "celebration.offer": self.offer,
            "celebration.answer": self.answer,
        }

    async def offer(self, seat: Seat, live: LiveSession, cmd: c.OfferCelebration) -> CelebrationAck:
        """Ask a client if the group may celebrate what they did in this session."""
        self.r.client(live, cmd.participant)
        if not self.r.known_person(live, cmd.participant).present:
            raise Conflict("that person is not in the room")
        what, title = self._achievement(live, cmd)
        data = e.CelebrationOffered(
            participant=cmd.participant, celebration_id=new_id("c"), what=what, title=title
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.PRIVATE)
        return CelebrationAck(seq=ev.seq, celebration_id=data.celebration_id)

    def _achievement(
        self, live: LiveSession, cmd: c.OfferCelebration
    ) -> tuple[Literal["module", "goal"], str]:
        """What is celebrated and its name; it must have happened in this session."""
        if (cmd.module is None) == (cmd.goal_id is None):
            raise InvalidInput("give either module or goal_id")
        if cmd.module is not None:
            if (cmd.participant, cmd.module) not in live.state.completed_modules:
                raise NotFound("module: not marked completed for this client in this session")
            return "module", self._module_title(cmd.module)
        if (cmd.participant, cmd.goal_id) not in live.state.achieved_goals:
            raise NotFound("goal_id: no goal of this client marked achieved in this session")
        # The goal's own words stay private: the group hears only that one was reached.
        return "goal", GOAL_TITLE

    def _module_title(self, module: str) -> str:
        curriculum = getattr(self.r.scripts, "curriculum", None)
        if curriculum is None:
            return module
        return str(curriculum.module(module).title)

    async def answer(self, seat: Seat, live: LiveSession, cmd: c.AnswerCelebration) -> Logged:
        """The client's yes (shown to the room) or no (heard only by staff)."""
        offer = live.state.celebration_offers.get(cmd.celebration_id)
        if offer is None:
            raise NotFound("celebration_id: no such offer waiting")
        if offer.participant != seat.participant_id:
            raise Forbidden("only the person celebrated answers")
        data = e.CelebrationAnswered(
            participant=offer.participant,
            celebration_id=offer.celebration_id,
            yes=cmd.yes,
            what=offer.what,
            title=offer.title,
        )
        audience = Audience.ROOM if cmd.yes else Audience.PRIVATE
        ev = await self.r.record(live, seat.participant_id, data, audience)
        return Logged(seq=ev.seq)
