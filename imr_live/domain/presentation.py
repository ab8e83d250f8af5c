"""Showing the session script: handout slides and role plays."""

from __future__ import annotations

from typing import Any

from imr_live.domain import commands as c
from imr_live.domain.channel_core import ROOM, ChannelCore, LiveSession
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput, NotFound


class Presentation(ChannelCore):
    """Slides and role plays, driven by leaders and co-leaders."""

    async def _show_slide(self, seat: Seat, live: LiveSession, cmd: c.ShowSlide) -> dict[str, Any]:
        scripts = self._scripts()
        deck_ref = cmd.deck or seat.session.script_ref
        if deck_ref is None:
            raise Conflict("this session has no script; name a deck", code="no_script")
        deck = scripts.deck(deck_ref)
        index = self._slide_index(deck, cmd)
        data = {"deck": deck_ref, "slide_id": deck[index], "index": index, "count": len(deck)}
        ev = await self._record(live, seat.participant_id, "slide.shown", data, ROOM)
        return {"seq": ev.seq, "slide_id": deck[index], "index": index}

    @staticmethod
    def _slide_index(deck: list[str], cmd: c.ShowSlide) -> int:
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

    async def _start_role_play(
        self, seat: Seat, live: LiveSession, cmd: c.StartRolePlay
    ) -> dict[str, Any]:
        if live.state.role_play is not None:
            raise Conflict("a role play is already running; end it first")
        play = self._role_play_content(cmd)
        names = {r["name"] for r in play["roles"]}
        for role_name, pid in cmd.cast.items():
            if role_name not in names:
                raise InvalidInput(f"cast: '{role_name[:40]}' is not a role in this role play")
            person = live.state.person(pid)
            if person is None or not person.present:
                raise NotFound(f"cast: participant {pid} is not in the room")
        data = {**play, "cast": dict(cmd.cast)}
        ev = await self._record(live, seat.participant_id, "roleplay.started", data, ROOM)
        return {"seq": ev.seq}

    def _role_play_content(self, cmd: c.StartRolePlay) -> dict[str, Any]:
        if cmd.role_play_id is not None:
            return self._scripts().role_play(cmd.role_play_id)
        if not (cmd.title and cmd.scenario and cmd.roles and cmd.steps):
            raise InvalidInput("give role_play_id, or title, scenario, roles and steps")
        return {
            "id": None,
            "title": cmd.title,
            "scenario": cmd.scenario,
            "roles": [r.model_dump() for r in cmd.roles],
            "steps": [{"kind": "step", "text": t} for t in cmd.steps],
        }

    async def _step_role_play(self, seat: Seat, live: LiveSession, cmd: c.Step) -> dict[str, Any]:
        play = live.state.role_play
        if play is None:
            raise Conflict("no role play is running", code="out_of_order")
        if cmd.step >= len(play["steps"]):
            raise InvalidInput(f"step: this role play has {len(play['steps'])} steps")
        ev = await self._record(
            live, seat.participant_id, "roleplay.stepped", {"step": cmd.step}, ROOM
        )
        return {"seq": ev.seq}

    async def _end_role_play(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> dict[str, Any]:
        if live.state.role_play is None:
            raise Conflict("no role play is running", code="out_of_order")
        ev = await self._record(live, seat.participant_id, "roleplay.ended", {}, ROOM)
        return {"seq": ev.seq}
