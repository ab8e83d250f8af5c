"""A lead's calls to someone's phone, in the session log (who was called, how it went).

The number itself never reaches the log, this module or the database: the edge hands it
straight to the phone gateway.
"""

from __future__ import annotations

from typing import Literal

from imr_live.domain import event_data as e
from imr_live.domain.recorder import Audience, SessionRecorder
from imr_live.errors import Conflict, NotFound

Outcome = Literal["answered", "no_answer", "busy", "failed"]


class PhoneCalls:
    """Logs phone calls placed from a live session."""

    def __init__(self, recorder: SessionRecorder) -> None:
        self.r = recorder

    async def placed(self, session_id: str, actor: str, participant: str, call: str) -> None:
        """``actor`` (a lead) had ``participant``'s phone called; refused once the session ended."""
        async with self.r.session(session_id) as live:
            if live.state.status == "ended":
                raise Conflict("the session has ended")
            data = e.PhoneCallPlaced(participant=participant, call=call)
            await self.r.record(live, actor, data, Audience.STAFF)

    async def outcome(self, session_id: str, participant: str, call: str, outcome: Outcome) -> bool:
        """How the call went (answered, no_answer, busy, failed); False if already logged.

        Told twice, as a rule: by the gateway's answer to the node that placed the call
        and by the gateway's own report (which any node takes, after a restart too).
        The first is logged; a call this session never placed is refused.
        """
        async with self.r.session(session_id) as live:
            whom, known = live.state.calls.get(call, ("", None))
            if whom != participant:
                raise NotFound("no such call was placed from this session")
            if known is not None:
                return False
            data = e.PhoneCallOutcome(participant=participant, call=call, outcome=outcome)
            await self.r.record(live, "system", data, Audience.STAFF)
            return True
