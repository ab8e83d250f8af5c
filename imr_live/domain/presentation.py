"""Showing the session script (slides and role plays) and uploaded handouts."""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import HandoutAck, Logged, SlideAck
from imr_live.domain.handouts import Handouts
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.scripts import RolePlayContent
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput, NotFound


class Presentation:
    """Slides, handouts and role plays, driven by leaders and co-leaders."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handouts = Handouts(recorder.sessions.db)
        self.handlers: dict[str, Handler] = {
            "slide.show": self.show_slide,
            "handout.show": self.show_handout,
            "handout.clear": self.clear_handout,
            "roleplay.start": self.start_role_play,
            "roleplay.step": self.step_role_play,
            "roleplay.end": self.end_role_play,
            "video.spotlight": self.spotlight,
        }

    async def show_slide(self, seat: Seat, live: LiveSession, cmd: c.ShowSlide) -> SlideAck:
        """Show a slide of the session's script (or a named deck) to everyone."""
        scripts = self.r.need_scripts()
        deck_ref = cmd.deck or seat.session.script_ref
        if deck_ref is None:
            raise Conflict("this session has no script; name a deck", code="no_script")
        deck = scripts.deck(deck_ref)
        index = _slide_index(deck, cmd)
        data = e.SlideShown(deck=deck_ref, slide_id=deck[index], index=index, count=len(deck))
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return SlideAck(seq=ev.seq, slide_id=deck[index], index=index)

    async def show_handout(self, seat: Seat, live: LiveSession, cmd: c.ShowHandout) -> HandoutAck:
        """Show a page of one of this session's handouts to everyone, in place of the slide."""
        handout = await self.handouts.get(cmd.handout)
        if handout.session_id != seat.session_id:
            raise NotFound("no such handout")
        if cmd.page > handout.pages:
            raise InvalidInput(f"page: this handout has pages 1 to {handout.pages}")
        await self.handouts.mark_shown(handout.id)  # before anyone is told to fetch it
        data = e.HandoutShown(
            handout=handout.id, title=handout.title, page=cmd.page, pages=handout.pages
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return HandoutAck(seq=ev.seq, page=cmd.page, pages=handout.pages)

    async def clear_handout(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Put the handout away: the slide shows again."""
        if live.state.handout is None:
            raise Conflict("no handout is showing", code="out_of_order")
        ev = await self.r.record(live, seat.participant_id, e.HandoutCleared(), Audience.ROOM)
        return Logged(seq=ev.seq)

    async def start_role_play(self, seat: Seat, live: LiveSession, cmd: c.StartRolePlay) -> Logged:
        """Start a role play with its roles cast to people in the room."""
        if live.state.role_play is not None:
            raise Conflict("a role play is already running; end it first")
        play = self._content(cmd)
        names = {r.name for r in play.roles}
        for role_name, pid in cmd.cast.items():
            if role_name not in names:
                raise InvalidInput(f"cast: '{role_name[:40]}' is not a role in this role play")
            person = live.state.person(pid)
            if person is None or not person.present:
                raise NotFound(f"cast: participant {pid} is not in the room")
        data = e.RolePlayStarted(**play.model_dump(), cast=dict(cmd.cast))
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    def _content(self, cmd: c.StartRolePlay) -> RolePlayContent:
        if cmd.role_play_id is not None:
            return self.r.need_scripts().role_play(cmd.role_play_id)
        if not (cmd.title and cmd.scenario and cmd.roles and cmd.steps):
            raise InvalidInput("give role_play_id, or title, scenario, roles and steps")
        return RolePlayContent.model_validate(
            {
                "id": None,
                "title": cmd.title,
                "scenario": cmd.scenario,
                "roles": [r.model_dump() for r in cmd.roles],
                "steps": [{"kind": "step", "text": t} for t in cmd.steps],
            }
        )

    async def step_role_play(self, seat: Seat, live: LiveSession, cmd: c.Step) -> Logged:
        """Move the running role play to a step."""
        play = live.state.role_play
        if play is None:
            raise Conflict("no role play is running", code="out_of_order")
        if cmd.step >= len(play.steps):
            raise InvalidInput(f"step: this role play has {len(play.steps)} steps")
        data = e.RolePlayStepped(step=cmd.step)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def end_role_play(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """End the running role play."""
        if live.state.role_play is None:
            raise Conflict("no role play is running", code="out_of_order")
        ev = await self.r.record(live, seat.participant_id, e.RolePlayEnded(), Audience.ROOM)
        return Logged(seq=ev.seq)

    async def spotlight(self, seat: Seat, live: LiveSession, cmd: c.Spotlight) -> Logged:
        """Show one person in the room large for everyone (or nobody: the usual view)."""
        if cmd.participant == live.state.spotlight:
            raise Conflict("that is already the spotlight")
        if cmd.participant is not None:
            person = live.state.person(cmd.participant)
            if person is None or not person.present:
                raise NotFound(f"participant {cmd.participant} is not in the room")
        data = e.VideoSpotlighted(participant=cmd.participant)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)


def _slide_index(deck: list[str], cmd: c.ShowSlide) -> int:
    """The index a show-slide command names (by index or by id), checked against the deck."""
    if (cmd.index is None) == (cmd.slide_id is None):
        raise InvalidInput("give either index or slide_id")
    if cmd.slide_id is not None:
        if cmd.slide_id not in deck:
            raise NotFound("that slide is not in this deck")
        return deck.index(cmd.slide_id)
    assert cmd.index is not None
    if cmd.index >= len(deck):
        raise InvalidInput(f"index: this deck has {len(deck)} slides (0-{len(deck) - 1})")
    return cmd.index
