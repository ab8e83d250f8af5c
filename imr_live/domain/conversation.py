"""Talking in the room: hands, chat, and a lead's request to mute."""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import LEADS
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, Forbidden


class Conversation:
    """Hands, chat and mute requests."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "hand.raise": self.raise_hand,
            "hand.lower": self.lower_hand,
            "chat.send": self.chat,
            "participant.mute_request": self.mute_request,
        }

    async def raise_hand(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Raise your hand."""
        if seat.participant_id in live.state.hands:
            raise Conflict("your hand is already up")
        data = e.HandRaised(participant=seat.participant_id)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def lower_hand(self, seat: Seat, live: LiveSession, cmd: c.Hand) -> Logged:
        """Lower your own hand, or (a lead) anyone's."""
        target = cmd.participant or seat.participant_id
        if target != seat.participant_id and seat.role not in LEADS:
            raise Forbidden("only leaders lower someone else's hand")
        if target not in live.state.hands:
            raise Conflict("that hand is not up")
        data = e.HandLowered(participant=target)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def chat(self, seat: Seat, live: LiveSession, cmd: c.Chat) -> Logged:
        """Write to everyone in the room."""
        ev = await self.r.record(
            live, seat.participant_id, e.ChatSent(text=cmd.text), Audience.ROOM
        )
        return Logged(seq=ev.seq)

    async def mute_request(self, seat: Seat, live: LiveSession, cmd: c.MuteRequest) -> Logged:
        """Ask someone present to turn off their microphone or camera."""
        if not self.r.known_person(live, cmd.participant).present:
            raise Conflict("that person is not in the room")
        data = e.MuteRequested(participant=cmd.participant, kind=cmd.kind)
        ev = await self.r.record(live, seat.participant_id, data, Audience.PRIVATE)
        return Logged(seq=ev.seq)
