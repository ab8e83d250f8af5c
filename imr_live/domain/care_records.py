"""Care records kept during a session: home practice, recovery goals, outcome ratings."""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.events import AssignmentAck, GoalAck, Logged, ScaleAck
from imr_live.domain.ids import new_id
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import Role
from imr_live.domain.seat import Seat
from imr_live.errors import Forbidden, NotFound

PRIVATE = Audience.PRIVATE


class CareRecords:
    """Assignments, goals and IMR scale ratings for clients (private to staff and that client)."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "assignment.give": self.give_assignment,
            "assignment.review": self.review_assignment,
            "goal.note": self.note_goal,
            "goal.update": self.update_goal,
            "scale.record": self.record_scale,
            "module.complete": self.complete_module,
        }

    async def give_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.GiveAssignment
    ) -> AssignmentAck:
        """Give a client home practice."""
        self.r.client(live, cmd.participant)
        aid = new_id("a")
        data = e.AssignmentGiven(
            participant=cmd.participant, assignment_id=aid, text=cmd.text, ref=cmd.ref
        )
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return AssignmentAck(seq=ev.seq, assignment_id=aid)

    async def review_assignment(
        self, seat: Seat, live: LiveSession, cmd: c.ReviewAssignment
    ) -> Logged:
        """Record whether a client did home practice given to them (here or earlier)."""
        self.r.client(live, cmd.participant)
        await self._belongs(cmd.participant, "assignment.given", "assignment_id", cmd.assignment_id)
        data = e.AssignmentReviewed.model_validate(cmd.model_dump())
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return Logged(seq=ev.seq)

    async def note_goal(self, seat: Seat, live: LiveSession, cmd: c.NoteGoal) -> GoalAck:
        """Write down a client's recovery goal with its short-term goals and steps."""
        self.r.client(live, cmd.participant)
        gid = new_id("g")
        data = e.GoalNoted.model_validate({**cmd.model_dump(), "goal_id": gid})
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return GoalAck(seq=ev.seq, goal_id=gid)

    async def update_goal(self, seat: Seat, live: LiveSession, cmd: c.UpdateGoal) -> Logged:
        """Record progress on a client's goal (noted here or earlier)."""
        self.r.client(live, cmd.participant)
        await self._belongs(cmd.participant, "goal.noted", "goal_id", cmd.goal_id)
        data = e.GoalUpdated.model_validate(cmd.model_dump())
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return Logged(seq=ev.seq)

    async def _belongs(self, participant: str, kind: str, field: str, item_id: str) -> None:
        """NotFound unless ``item_id`` was given (``kind``) to this client, here or earlier.

        "This client" is every invite with the participant's ``client_ref`` (only this
        participant without one); the stored logs of their sessions are searched.
        """
        links = self.r.links
        invites = await links.same_client(await links.get(participant))
        ids = {i.id for i in invites}
        logs = await self.r.log.read_many(sorted({i.session_id for i in invites}))
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

    async def record_scale(self, seat: Seat, live: LiveSession, cmd: c.RecordScale) -> ScaleAck:
        """Record an IMR Scales rating.

        A clinician's rating only by signed-in staff leading the session (a co-leader who
        came by link is not the client's clinician); a client's rating by a lead (entering
        the client's answers) or by the client for themself.
        """
        self.r.client(live, cmd.participant)
        if seat.role is Role.CLIENT and (cmd.participant, cmd.rater) != (
            seat.participant_id,
            "client",
        ):
            raise Forbidden("a client records only their own rating")
        if cmd.rater == "clinician" and not seat.staff:
            raise Forbidden("only signed-in staff leading the session save a clinician rating")
        answered = [a for a in cmd.items if a is not None]
        total = sum(answered) if answered else None
        data = e.ScaleRecorded(
            participant=cmd.participant,
            rater=cmd.rater,
            items=list(cmd.items),
            total=total,
            rated_by_role=seat.role.value,
        )
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return ScaleAck(seq=ev.seq, total=total)

    async def complete_module(self, seat: Seat, live: LiveSession, cmd: c.CompleteModule) -> Logged:
        """A clinician marks a module completed for a client (only signed-in staff leads).

        A bare module key is read in the variant of this session's script; with the
        curriculum loaded, a module it does not hold is refused.
        """
        self.r.client(live, cmd.participant)
        if not seat.staff:
            raise Forbidden("only signed-in staff leading the session mark a module completed")
        data = e.ModuleCompleted(
            participant=cmd.participant, module=self._module_id(seat, cmd.module), reason=cmd.reason
        )
        ev = await self.r.record(live, seat.participant_id, data, PRIVATE)
        return Logged(seq=ev.seq)

    def _module_id(self, seat: Seat, module: str) -> str:
        """``module`` qualified by the session's variant; NotFound if the curriculum lacks it."""
        curriculum = getattr(self.r.scripts, "curriculum", None)
        if curriculum is None:
            return module
        ref = seat.session.script_ref
        if "/" not in module and ref:
            try:
                variant = curriculum.module(curriculum.session(ref).module_id).variant
            except NotFound:
                variant = None
            if variant:
                module = f"{variant}/{module}"
        try:
            curriculum.module(module)
        except NotFound:
            raise NotFound(f"module: no module {module!r} in the curriculum") from None
        return module
