"""What every part of the live channel shares: per-session state, the writer lock, publishing.

``ChannelCore`` holds the services, loads a session's state from its log, and
records events (append durably, fold into state, then tell whoever should hear
them). The command handlers live in modules by noun and build on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain.coordination import Coordination, MemoryCoordination
from imr_live.domain.fanout import Fanout, MediaHooks
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_state import ADMITTED, REMOVED, WAITING, LiveState
from imr_live.domain.roles import Role
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.seat import Seat
from imr_live.domain.sessions import Sessions
from imr_live.domain.telemetry import NO_TELEMETRY, Telemetry
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from imr_live.store.session_log import LogEvent, SessionLog

ROOM, STAFF, PRIVATE = "room", "staff", "private"
STAFF_ROLES = frozenset({Role.LEADER, Role.CO_LEADER, Role.SUPERVISOR})


@dataclass
class LiveSession:
    """One session's live state, as this node last caught up with the log."""

    state: LiveState
    to_disconnect: list[str] = field(default_factory=list)
    """Participants to cut off once the session lock is released (their disconnect needs it)."""


class ChannelCore:
    """Services, per-session state and event recording shared by every command."""

    def __init__(
        self,
        log_store: SessionLog,
        sessions: Sessions,
        links: JoinLinks,
        fanout: Fanout,
        scripts: ScriptLibrary | None = None,
        media: MediaHooks | None = None,
        coordination: Coordination | None = None,
    ) -> None:
        self.log = log_store
        self.sessions = sessions
        self.links = links
        self.fanout = fanout
        self.scripts = scripts
        self.media = media
        self.coord: Coordination = coordination or MemoryCoordination()
        self.telemetry: Telemetry = NO_TELEMETRY
        self.ice_servers_for: Callable[[str], list[dict[str, Any]]] | None = None
        """Fills ``ice_servers`` (e.g. TURN credentials) in an admitted participant's welcome."""
        self._live: dict[str, LiveSession] = {}
        self._loading = asyncio.Lock()

    async def live(self, session_id: str) -> LiveSession:
        """The live session, rebuilt from its log the first time it is needed."""
        found = self._live.get(session_id)
        if found is not None:
            return found
        async with self._loading:
            if session_id not in self._live:
                state = LiveState(session_id)
                for event in await self.log.read(session_id):
                    state.apply(event)
                self._live[session_id] = LiveSession(state)
        return self._live[session_id]

    @contextlib.asynccontextmanager
    async def session(self, session_id: str) -> AsyncIterator[LiveSession]:
        """Hold the session's writer lock with its state caught up with the log."""
        async with self.coord.session_lock(session_id):
            live = await self.live(session_id)
            if self.coord.shared:
                for event in await self.log.read(session_id, after_seq=live.state.last_seq):
                    live.state.apply(event)
            yield live

    async def _append(
        self, live: LiveSession, actor: str, kind: str, data: dict[str, Any]
    ) -> LogEvent:
        started = time.perf_counter()
        event = await self.log.append(live.state.session_id, actor, kind, data)
        self.telemetry.log_appended(time.perf_counter() - started)
        live.state.apply(event)
        return event

    async def _record(
        self, live: LiveSession, actor: str, kind: str, data: dict[str, Any], audience: str
    ) -> LogEvent:
        """Append durably, fold into state, then tell whoever should hear it."""
        event = await self._append(live, actor, kind, data)
        await self._publish(live, event, audience)
        return event

    async def _publish(self, live: LiveSession, event: LogEvent, audience: str) -> None:
        sid = event.session_id
        wire = self._wire(event)
        if audience == ROOM:
            await self.fanout.to_room(sid, "event", wire)
            return
        await self.fanout.to_staff(sid, "event", wire)
        target = event.data.get("participant")
        person = live.state.person(target) if isinstance(target, str) else None
        if person is not None and person.role not in STAFF_ROLES and audience == PRIVATE:
            await self.fanout.to_participant(sid, person.id, "event", wire)

    def _wire(self, event: LogEvent) -> dict[str, Any]:
        wire = {
            "seq": event.seq,
            "at": event.at,
            "actor": event.actor,
            "kind": event.kind,
            "data": event.data,
        }
        if event.kind == "slide.shown" and self.scripts is not None:
            wire["content"] = self.scripts.slide(event.data["slide_id"])
        return wire

    def _require_in_room(self, seat: Seat, live: LiveSession, action: str) -> None:
        person = live.state.person(seat.participant_id)
        if live.state.status == "ended":
            raise Conflict("this session has ended", code="session_ended")
        if person is None:
            raise Conflict("join the session first", code="not_joined")
        if person.status == REMOVED:
            raise Forbidden("you were removed from this session", code="removed")
        if action in ("leave", "consent.set") and person.status in (ADMITTED, WAITING):
            return
        if person.status != ADMITTED:
            raise Conflict("wait until you are admitted", code="not_admitted")

    def _waiting_person(self, live: LiveSession, pid: str) -> None:
        person = live.state.person(pid)
        if person is None or person.status != WAITING:
            raise Conflict("that person is not in the waiting room")

    def _known_person(self, live: LiveSession, pid: str) -> Any:
        person = live.state.person(pid)
        if person is None:
            raise NotFound("no such participant in this session")
        return person

    def _client(self, live: LiveSession, pid: str) -> None:
        if self._known_person(live, pid).role is not Role.CLIENT:
            raise InvalidInput("participant: assignments and goals are for clients")

    def _scripts(self) -> ScriptLibrary:
        if self.scripts is None:
            raise Unavailable("session scripts are not loaded")
        return self.scripts

    def _consenting(self, live: LiveSession) -> list[str]:
        return [p.id for p in live.state.people.values() if p.present and p.consent is True]

    @staticmethod
    def _person_consent(live: LiveSession, seat: Seat) -> bool | None:
        return live.state.people[seat.participant_id].consent

    @staticmethod
    def _is_staff(seat: Seat) -> bool:
        return seat.role in STAFF_ROLES

    async def _media_gone(self, session_id: str, pid: str) -> None:
        if self.media is not None:
            await self.media.participant_gone(session_id, pid)

    def state_for(self, seat: Seat, live: LiveSession) -> dict[str, Any]:
        """The snapshot a seat may see."""
        snap = live.state.snapshot(for_staff=self._is_staff(seat))
        if snap["slide"] and self.scripts is not None:
            snap["slide"] = {
                **snap["slide"],
                "content": self.scripts.slide(snap["slide"]["slide_id"]),
            }
        return snap
