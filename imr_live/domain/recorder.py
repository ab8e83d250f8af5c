"""What every part of the live channel shares: per-session state, the writer lock, recording.

``SessionRecorder`` loads a session's state from its log and records events:
append durably, fold into state, then tell whoever should hear them. The
channel's parts (membership, conversation, presentation, care records, media
control) each receive it in their constructor.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from imr_live.domain.event_data import EventData, SlideShown
from imr_live.domain.events import Ack, IceServer, Seated
from imr_live.domain.fanout import Fanout, MediaHooks
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_state import ADMITTED, REMOVED, WAITING, LiveState, Person
from imr_live.domain.roles import Role
from imr_live.domain.scripts import ScriptLibrary, SlideContent
from imr_live.domain.seat import Seat
from imr_live.domain.sessions import Sessions
from imr_live.domain.telemetry import NO_TELEMETRY, Telemetry
from imr_live.domain.views import ShownSlide, Snapshot
from imr_live.errors import Conflict, Forbidden, InvalidInput, NotFound, Unavailable
from imr_live.store.coordination import Coordination
from imr_live.store.session_log import LogEvent, SessionLog

log = logging.getLogger("imr_live.live")
STAFF_ROLES = frozenset({Role.LEADER, Role.CO_LEADER, Role.SUPERVISOR})
WHILE_WAITING = frozenset({"leave", "consent.set", "safety.confirm", "help.request"})
"""Commands someone in the waiting room may send too (a client in crisis may be waiting)."""


class Audience(StrEnum):
    """Who hears a logged event."""

    ROOM = "room"
    """Everyone admitted."""
    STAFF = "staff"
    """Leads and supervisors only (the waiting room)."""
    PRIVATE = "private"
    """Staff and the client the event is about (care records, mute requests)."""


@dataclass
class LiveSession:
    """One session's live state, as this node last caught up with the log."""

    state: LiveState
    to_disconnect: list[str] = field(default_factory=list)
    """Participants to cut off once the session lock is released (their disconnect needs it)."""


IceServersFor = Callable[[str], list[IceServer]]
Handler = Callable[[Seat, LiveSession, Any], Awaitable[Ack]]
"""A command's handler: the sender, their session (lock held) and the validated payload."""


class SessionRecorder:
    """Per-session state and event recording shared by every part of the live channel."""

    def __init__(
        self,
        log_store: SessionLog,
        sessions: Sessions,
        links: JoinLinks,
        fanout: Fanout,
        coordination: Coordination,
        scripts: ScriptLibrary | None = None,
        telemetry: Telemetry = NO_TELEMETRY,
        *,
        media: MediaHooks | None = None,
        ice_servers_for: IceServersFor | None = None,
    ) -> None:
        self.log = log_store
        self.sessions = sessions
        self.links = links
        self.fanout = fanout
        self.coord = coordination
        self.scripts = scripts
        self.telemetry = telemetry
        self.media = media
        """The media server's hooks (None: media is off)."""
        self.ice_servers_for = ice_servers_for
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

    async def append(self, live: LiveSession, actor: str, data: EventData) -> LogEvent:
        """Append durably and fold into state; nobody is told (see ``record``)."""
        started = time.perf_counter()
        event = await self.log.append(live.state.session_id, actor, data.KIND, data.stored())
        self.telemetry.log_appended(time.perf_counter() - started)
        live.state.apply(event)
        return event

    async def record(
        self, live: LiveSession, actor: str, data: EventData, audience: Audience
    ) -> LogEvent:
        """Append durably, fold into state, then tell whoever should hear it."""
        event = await self.append(live, actor, data)
        await self.publish(live, event, data, audience)
        return event

    async def publish(
        self, live: LiveSession, event: LogEvent, data: EventData, audience: Audience
    ) -> None:
        """Tell the audience about a logged event. It is in the log: a delivery failure
        is logged, never turned into a refusal of what was already accepted."""
        sid = event.session_id
        wire = self._seated(event, data).wire()
        try:
            if audience is Audience.ROOM:
                await self.fanout.to_room(sid, "event", wire)
                return
            await self.fanout.to_staff(sid, "event", wire)
            target = getattr(data, "participant", None)
            person = live.state.person(target) if isinstance(target, str) else None
            if (
                person is not None
                and person.role not in STAFF_ROLES
                and audience is Audience.PRIVATE
            ):
                await self.fanout.to_participant(sid, person.id, "event", wire)
        except Exception:
            log.exception("event %s (%s) logged but not delivered", event.seq, event.kind)

    async def tell(
        self, live: LiveSession, event: LogEvent, data: EventData, participants: list[str]
    ) -> None:
        """Tell a logged event to some participants only (each on all their connections)."""
        sid = event.session_id
        wire = self._seated(event, data).wire()
        for pid in participants:
            try:
                await self.fanout.to_participant(sid, pid, "event", wire)
            except Exception:
                log.exception("event %s (%s) logged but not delivered", event.seq, event.kind)

    def _seated(self, event: LogEvent, data: EventData) -> Seated:
        content = None
        if isinstance(data, SlideShown):
            content = self.slide_content(data.slide_id)
        return Seated(
            seq=event.seq,
            at=event.at,
            actor=event.actor,
            kind=event.kind,
            data=data,
            content=content,
        )

    def slide_content(self, slide_id: str) -> SlideContent | None:
        """A slide's content for drawing it, when the scripts are loaded."""
        return None if self.scripts is None else self.scripts.slide(slide_id)

    def state_for(self, seat: Seat, live: LiveSession) -> Snapshot:
        """The snapshot a seat may see, with the current slide's content."""
        snap = live.state.snapshot(for_staff=is_staff(seat), viewer=seat.participant_id)
        if snap.slide is None:
            return snap
        slide = ShownSlide.model_validate(
            {**snap.slide.model_dump(), "content": self.slide_content(snap.slide.slide_id)}
        )
        return snap.model_copy(update={"slide": slide})

    def require_in_room(self, seat: Seat, live: LiveSession, name: str) -> None:
        """Refuse a command from someone not (or no longer) in the room."""
        person = live.state.person(seat.participant_id)
        if live.state.status == "ended":
            raise Conflict("this session has ended", code="session_ended")
        if person is None:
            raise Conflict("join the session first", code="not_joined")
        if person.status == REMOVED:
            raise Forbidden("you were removed from this session", code="removed")
        if name in WHILE_WAITING and person.status in (ADMITTED, WAITING):
            return
        if person.status != ADMITTED:
            raise Conflict("wait until you are admitted", code="not_admitted")

    @staticmethod
    def waiting_person(live: LiveSession, pid: str) -> Person:
        """The person ``pid`` if they are in the waiting room; Conflict otherwise."""
        person = live.state.person(pid)
        if person is None or person.status != WAITING:
            raise Conflict("that person is not in the waiting room")
        return person

    @staticmethod
    def known_person(live: LiveSession, pid: str) -> Person:
        """The person ``pid`` if they ever came; NotFound otherwise."""
        person = live.state.person(pid)
        if person is None:
            raise NotFound("no such participant in this session")
        return person

    def may_act_on(self, seat: Seat, live: LiveSession, pid: str, what: str) -> Person:
        """The person ``pid``, if the sender's rank lets them ``what`` them.

        The lead clinician outranks co-leaders: nobody acts on the lead clinician, and
        only the lead acts on another co-leader (a co-leader may on themselves).
        """
        person = self.known_person(live, pid)
        if person.role is Role.LEADER and pid != seat.participant_id:
            raise Forbidden(f"nobody may {what} the lead clinician")
        if (
            person.role is Role.CO_LEADER
            and seat.role is not Role.LEADER
            and pid != seat.participant_id
        ):
            raise Forbidden(f"only the lead clinician may {what} a co-leader")
        return person

    def client(self, live: LiveSession, pid: str) -> Person:
        """The person ``pid`` if they are a client (care records are for clients)."""
        person = self.known_person(live, pid)
        if person.role is not Role.CLIENT:
            raise InvalidInput("participant: assignments and goals are for clients")
        return person

    def need_scripts(self) -> ScriptLibrary:
        """The loaded scripts; Unavailable when the server runs without them."""
        if self.scripts is None:
            raise Unavailable("session scripts are not loaded")
        return self.scripts

    def need_media(self) -> MediaHooks:
        """The media server; Unavailable when media is off."""
        if self.media is None:
            raise Unavailable("the media server is not running")
        return self.media

    @staticmethod
    def consenting(live: LiveSession) -> list[str]:
        """Ids of the people present who agreed to be recorded."""
        return [p.id for p in live.state.people.values() if p.present and p.consent is True]

    async def media_gone(self, session_id: str, pid: str) -> None:
        """Close someone's media, if media runs."""
        if self.media is not None:
            await self.media.participant_gone(session_id, pid)


def is_staff(seat: Seat) -> bool:
    """True for leads and supervisors (they hear the waiting room)."""
    return seat.role in STAFF_ROLES
