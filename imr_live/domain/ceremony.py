"""A graduation ceremony: the lead clinician honours graduating clients in turn.

The lead opens the ceremony for some clients in the room (their supporters come in
with their own supporter links, as to any session). Each graduate is asked first,
privately, if their certificate may be shown to everyone; only a yes puts them in
the line. "Next" shows the next graduate who said yes, with their certificate, to
the whole room. A no is heard only by staff and is never shown.
"""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput

HEADLINE = "Graduation Certificate"
ACHIEVEMENT = "has completed the Illness Management and Recovery program"
"""The certificate's words in the room (the PDF certificate in My IMR says the same)."""


class Ceremony:
    """Opening, answering, honouring in turn and ending a graduation ceremony."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "ceremony.start": self.start,
            "ceremony.answer": self.answer,
            "ceremony.next": self.next,
            "ceremony.end": self.end,
        }

    async def start(self, seat: Seat, live: LiveSession, cmd: c.StartCeremony) -> Logged:
        """Open the ceremony and ask each graduate (present clients only) for their yes."""
        if live.state.ceremony is not None:
            raise Conflict("a ceremony is already running; end it first")
        if len(set(cmd.graduates)) != len(cmd.graduates):
            raise InvalidInput("graduates: name each client once")
        for pid in cmd.graduates:
            self.r.client(live, pid)
            if not self.r.known_person(live, pid).present:
                raise Conflict("graduates: everyone honoured must be in the room")
        ev = await self.r.record(live, seat.participant_id, e.CeremonyStarted(), Audience.ROOM)
        for pid in cmd.graduates:
            asked = e.CeremonyAsked(participant=pid)
            await self.r.record(live, seat.participant_id, asked, Audience.PRIVATE)
        return Logged(seq=ev.seq)

    async def answer(self, seat: Seat, live: LiveSession, cmd: c.AnswerCeremony) -> Logged:
        """A graduate's own yes or no (heard by staff and by them)."""
        ceremony = live.state.ceremony
        if ceremony is None or seat.participant_id not in ceremony.graduates:
            raise Conflict("you were not asked in a ceremony", code="out_of_order")
        if seat.participant_id in ceremony.honoured:
            raise Conflict("your certificate was already shown", code="out_of_order")
        data = e.CeremonyAnswered(participant=seat.participant_id, yes=cmd.yes)
        ev = await self.r.record(live, seat.participant_id, data, Audience.PRIVATE)
        return Logged(seq=ev.seq)

    async def next(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Show the next graduate who said yes, with their certificate, to everyone."""
        ceremony = live.state.ceremony
        if ceremony is None:
            raise Conflict("no ceremony is running", code="out_of_order")
        pid = ceremony.next_ready()
        if pid is None:
            raise Conflict("nobody is waiting to be shown: wait for a yes", code="out_of_order")
        person = self.r.known_person(live, pid)
        data = e.CeremonyHonoured(
            participant=pid,
            display_name=person.display_name,
            headline=HEADLINE,
            achievement=ACHIEVEMENT,
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def end(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """End the ceremony."""
        if live.state.ceremony is None:
            raise Conflict("no ceremony is running", code="out_of_order")
        ev = await self.r.record(live, seat.participant_id, e.CeremonyEnded(), Audience.ROOM)
        return Logged(seq=ev.seq)
