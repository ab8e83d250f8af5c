"""Care records kept during a session: home assignments, recovery goals, outcome ratings."""

from __future__ import annotations

from typing import Any

from imr_live.domain import commands as c
from imr_live.domain.channel_core import PRIVATE, ChannelCore, LiveSession
from imr_live.domain.ids import new_id
from imr_live.domain.roles import Role
from imr_live.domain.seat import Seat
from imr_live.errors import Forbidden, NotFound


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
        await self._belongs(cmd.participant, "assignment.given", "assignment_id", cmd.assignment_id)
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
        await self._belongs(cmd.participant, "goal.noted", "goal_id", cmd.goal_id)
        ev = await self._record(
            live, seat.participant_id, "goal.updated", cmd.model_dump(), PRIVATE
        )
        return {"seq": ev.seq}

    async def _belongs(self, participant: str, kind: str, field: str, item_id: str) -> None:
        """NotFound unless ``item_id`` was given (``kind``) to this client, here or earlier.

        "This client" is every invite with the participant's ``client_ref`` (only this
        participant without one); the stored logs of their sessions are searched.
        """
        invites = await self.links.same_client(await self.links.get(participant))
        ids = {i.id for i in invites}
        logs = await self.log.read_many(sorted({i.session_id for i in invites}))
        for events in logs.values():
            for ev in events:
                if (
                    ev.kind == kind
                    and ev.data.get(field) == item_id
                    and ev.data.get("participant") in ids
                ):
                    return
        what = "home practice" if kind == "assignment.given" else "goal"
        raise NotFound(f"{field}: no such {what} for this client")

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
