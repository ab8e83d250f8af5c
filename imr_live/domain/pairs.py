"""Role-play pairs (breakouts): the leader splits the group into pairs or triads.

Each group's media is forwarded only within it (the media server's private
groups, as for a private talk); a lead may visit any group and comes back to the
room; bringing everyone back logs who practised with whom, and for how long.
The timer is kept by the leader's page (it ends the pairs when time is up); the
server then records the reason as "timer".
"""

from __future__ import annotations

from imr_live.domain import commands as c
from imr_live.domain import event_data as e
from imr_live.domain.clock import SECOND_US, now_us
from imr_live.domain.events import Logged
from imr_live.domain.recorder import Audience, Handler, LiveSession, SessionRecorder
from imr_live.domain.roles import SPEAKS
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, InvalidInput

MINUTE_US = 60 * SECOND_US
GROUP_MESSAGE_MAX = 8
"""Most ids one media ``group`` message carries (sfu/messages.py)."""


class Pairs:
    """Starting, visiting and ending role-play pairs."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder
        self.handlers: dict[str, Handler] = {
            "pairs.start": self.start,
            "pairs.visit": self.visit,
            "pairs.end": self.end,
        }

    async def start(self, seat: Seat, live: LiveSession, cmd: c.StartPairs) -> Logged:
        """Split the people named into groups, each with its prompt; their media stays inside."""
        state = live.state
        if state.pairs is not None or state.private_talk:
            raise Conflict("pairs or a private talk are going on; end them first")
        self._check_people(live, cmd.groups)
        prompts = self._prompts(cmd)
        groups = [
            e.PairGroup(group=f"pair-{n + 1}", members=list(members), prompt=prompts[n])
            for n, members in enumerate(cmd.groups)
        ]
        started = now_us()
        ends = None if cmd.minutes is None else started + cmd.minutes * MINUTE_US
        for group in groups:
            await self._media(seat, group.members, group.group)
        data = e.PairsStarted(groups=groups, started_at=started, ends_at=ends)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    def _check_people(self, live: LiveSession, groups: list[list[str]]) -> None:
        seen: set[str] = set()
        for members in groups:
            for pid in members:
                person = self.r.known_person(live, pid)
                if not person.present or person.role not in SPEAKS:
                    raise Conflict(f"groups: {pid} is not someone in the room who takes part")
                if pid in seen:
                    raise InvalidInput(f"groups: {pid} is in two groups")
                seen.add(pid)

    @staticmethod
    def _prompts(cmd: c.StartPairs) -> list[str | None]:
        if cmd.prompts is None:
            return [cmd.prompt] * len(cmd.groups)
        if cmd.prompt is not None or len(cmd.prompts) != len(cmd.groups):
            raise InvalidInput("prompts: give one prompt for each group (or one prompt for all)")
        return list(cmd.prompts)

    async def visit(self, seat: Seat, live: LiveSession, cmd: c.VisitPair) -> Logged:
        """Go into one group (its media reaches you and yours reaches it), or back ("")."""
        pairs = live.state.pairs
        if pairs is None:
            raise Conflict("no pairs are practising", code="out_of_order")
        if cmd.group and cmd.group not in {g.group for g in pairs.groups}:
            raise InvalidInput(f"group: no {cmd.group} (there are {len(pairs.groups)} groups)")
        if seat.participant_id in {m for g in pairs.groups for m in g.members}:
            raise Conflict("you are in a group yourself")
        await self._media(seat, [seat.participant_id], cmd.group)
        data = e.PairVisited(participant=seat.participant_id, group=cmd.group)
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def end(self, seat: Seat, live: LiveSession, _cmd: c.Empty) -> Logged:
        """Bring everyone back to the room; log who practised with whom and how long."""
        pairs = live.state.pairs
        if pairs is None:
            raise Conflict("no pairs are practising", code="out_of_order")
        now = now_us()
        everyone = [m for g in pairs.groups for m in g.members] + list(pairs.visiting)
        await self._media(seat, everyone, "")
        seconds = max(0, (now - pairs.started_at) // SECOND_US)
        data = e.PairsEnded(
            practised=[e.PairPractice(members=g.members, seconds=seconds) for g in pairs.groups],
            reason="timer" if pairs.ends_at is not None and now >= pairs.ends_at else "lead",
        )
        ev = await self.r.record(live, seat.participant_id, data, Audience.ROOM)
        return Logged(seq=ev.seq)

    async def keep_apart(self, live: LiveSession) -> None:
        """Put each group (and its visitors) in its media group again, e.g. after a media join."""
        pairs = live.state.pairs
        if pairs is None or self.r.media is None:
            return
        for group in pairs.groups:
            visitors = [lead for lead, g in pairs.visiting.items() if g == group.group]
            members = group.members + visitors
            await self.r.media.set_group(live.state.session_id, members[0], members, group.group)

    async def _media(self, seat: Seat, members: list[str], group: str) -> None:
        """Move ``members`` to a media group; the media server takes 8 ids at a time."""
        if self.r.media is None:
            return
        for first in range(0, len(members), GROUP_MESSAGE_MAX):
            chunk = members[first : first + GROUP_MESSAGE_MAX]
            await self.r.media.set_group(seat.session_id, seat.participant_id, chunk, group)
