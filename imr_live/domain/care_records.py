"""Care records kept during a session: home assignments, recovery goals, outcome ratings."""

from __future__ import annotations

from typing import Any

from imr_live.domain import commands as c
from imr_live.domain.channel_core import PRIVATE, ChannelCore, LiveSession
from imr_live.domain.ids import new_id
from imr_live.domain.roles import Role
from imr_live.domain.seat import Seat
from imr_live.errors import Forbidden


class CareRecords(ChannelCore):
    """Assignments, goals and IMR scale ratings for clients (private to staff and that client)."""

    async def _give_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.GiveAssignment
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        aid = new_id("a")
        data = {
            "participant": cmd.participant,
            "assignment_id": aid,
            "text": cmd.text,
            "ref": cmd.ref,
        }
        ev = await self._record(live, seat.participant_id, "assignment.given", data, PRIVATE)
        return {"seq": ev.seq, "assignment_id": aid}

    async def _review_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.ReviewAssignment
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        data = cmd.model_dump()
        ev = await self._record(live, seat.participant_id, "assignment.reviewed", data, PRIVATE)
        return {"seq": ev.seq}

    async def _note_goal(self, seat: Seat, live: LiveSession, cmd: c.NoteGoal) -> dict[str, Any]:
        self._client(live, cmd.participant)
        gid = new_id("g")
        data = {**cmd.model_dump(), "goal_id": gid}
        ev = await self._record(live, seat.participant_id, "goal.noted", data, PRIVATE)
        return {"seq": ev.seq, "goal_id": gid}

    async def _update_goal(
        self, seat: Seat, live: LiveSession, cmd: c.UpdateGoal
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        ev = await self._record(
            live, seat.participant_id, "goal.updated", cmd.model_dump(), PRIVATE
        )
        return {"seq": ev.seq}

    async def _record_scale(
        self, seat: Seat, live: LiveSession, cmd: c.RecordScale
    ) -> dict[str, Any]:
        self._client(live, cmd.participant)
        if seat.role is Role.CLIENT and (cmd.participant, cmd.rater) != (
            seat.participant_id,
            "client",
        ):
            raise Forbidden("a client records only their own rating")
        data = {**cmd.model_dump(), "total": sum(cmd.items)}
        ev = await self._record(live, seat.participant_id, "scale.recorded", data, PRIVATE)
        return {"seq": ev.seq, "total": data["total"]}
