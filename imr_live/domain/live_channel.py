"""The live channel's domain: commands in, logged events out, state kept per session.

Every command is looked up in the catalogue (``events.COMMANDS``), checked
against the sender's role, validated, appended to the session log (durably),
folded into the live state and only then broadcast and acknowledged. Commands
of one session are serialized by its lock, so the log's order is the order
everyone sees. The work is done by parts that share one ``SessionRecorder``.
"""

from __future__ import annotations

from typing import Any

from imr_live.domain import commands as c
from imr_live.domain import events
from imr_live.domain.captions import Captions
from imr_live.domain.care_records import CareRecords
from imr_live.domain.celebrations import Celebrations
from imr_live.domain.ceremony import Ceremony
from imr_live.domain.clips import Clips, ClipStore
from imr_live.domain.conversation import Conversation
from imr_live.domain.events import Ack, MediaAck, Welcome
from imr_live.domain.media_control import MediaControl
from imr_live.domain.membership import Membership
from imr_live.domain.pairs import Pairs
from imr_live.domain.polls import Polls
from imr_live.domain.presentation import Presentation
from imr_live.domain.privacy import Privacy
from imr_live.domain.recorder import Handler, LiveSession, SessionRecorder
from imr_live.domain.safety import Safety
from imr_live.domain.screen_share import ScreenShare
from imr_live.domain.seat import Seat
from imr_live.errors import Conflict, Forbidden, InvalidInput

EDGE_COMMANDS = frozenset({"join", "media"})
"""Catalogued commands handled outside the per-session handler table."""


class LiveChannel:
    """Runs every live session of this node."""

    def __init__(self, recorder: SessionRecorder, clips: ClipStore | None = None) -> None:
        self.recorder = recorder
        self.membership = Membership(recorder)
        self.safety = Safety(recorder)
        self.privacy = Privacy(recorder)
        self.captions = Captions(recorder)
        self.pairs = Pairs(recorder)
        self.screen = ScreenShare(recorder)
        self.clips = Clips(recorder, clips)
        parts = (
            self.membership,
            Conversation(recorder),
            Presentation(recorder),
            CareRecords(recorder),
            MediaControl(recorder),
            self.safety,
            self.privacy,
            self.captions,
            Polls(recorder),
            Celebrations(recorder),
            Ceremony(recorder),
            self.pairs,
            self.screen,
            self.clips,
        )
        self._handlers: dict[str, Handler] = {}
        for part in parts:
            self._handlers.update(part.handlers)
        missing = set(events.COMMANDS) - EDGE_COMMANDS ^ set(self._handlers)
        if missing:
            raise RuntimeError(f"catalogue and handlers differ: {sorted(missing)}")

    @property
    def actions(self) -> list[str]:
        """Names of every command this channel takes besides ``join``."""
        return sorted(self._handlers)

    async def join(self, seat: Seat, conn_id: str, payload: Any) -> Welcome:
        """Enter the session on a connection; guests wait until admitted."""
        cmd: c.Join = events.parse(events.COMMANDS["join"], payload)
        return await self.membership.join(seat, conn_id, cmd)

    async def media(self, seat: Seat, payload: Any) -> MediaAck:
        """A WebRTC signalling message: admitted people whose role takes part in media."""
        spec = events.COMMANDS["media"]
        if seat.role not in spec.who:
            raise Forbidden("your role does not send or receive media")
        message: c.MediaMessage = events.parse(spec, payload)
        if message.type == "publish" and seat.role in events.WATCH_ONLY:
            raise Forbidden("observers watch and listen: their camera and microphone stay off")
        live = await self.recorder.live(seat.session_id)
        person = live.state.person(seat.participant_id)
        if person is None or not person.present:
            raise Conflict("wait until you are admitted", code="not_admitted")
        media = self.recorder.need_media()
        if message.type == "publish" and (message.model_extra or {}).get("source") == "screen":
            return await self.screen.publish(
                seat, lambda: media.signal(seat.session_id, seat.participant_id, message)
            )
        if message.type != "join":
            return await media.signal(seat.session_id, seat.participant_id, message)
        # A private talk outlives media rooms (made on first join, moved between
        # workers): keep its people apart in the room this join enters or makes.
        # Private group mode likewise: the room this join makes starts private.
        await self.pairs.keep_apart(live)
        await self.safety.keep_apart(live)  # after the pairs: a private talk wins
        await self.privacy.keep_private(live, seat.participant_id)
        ack = await media.signal(seat.session_id, seat.participant_id, message)
        await self.pairs.keep_apart(live)
        await self.safety.keep_apart(live)
        await self.privacy.keep_private(live, seat.participant_id)
        await self.captions.keep_captioned(live, seat.participant_id)
        await self.clips.keep_playing(live, seat.participant_id)
        return ack

    async def command(self, seat: Seat, name: str, payload: Any) -> Ack:
        """Run one command: look up, check role, validate, check state, log, apply, broadcast."""
        handler = self._handlers.get(name)
        if handler is None:
            raise InvalidInput(f"unknown event '{name[:40]}'", code="unknown_event")
        spec = events.COMMANDS[name]
        if seat.role not in spec.who:
            raise Forbidden(f"a {seat.role.value} may not do '{name}'")
        cmd = events.parse(spec, payload)
        recorder = self.recorder
        async with recorder.session(seat.session_id) as live:
            recorder.require_in_room(seat, live, name)
            ack = await handler(seat, live, cmd)
            cut, live.to_disconnect = live.to_disconnect, []
        for pid in cut:
            await recorder.fanout.disconnect(seat.session_id, pid)
        return ack

    async def disconnect(self, seat: Seat, conn_id: str) -> None:
        """A connection closed (see ``Membership.disconnect``)."""
        await self.membership.disconnect(seat, conn_id)

    async def connection_lost(
        self, session_id: str, participant_id: str, closed_at: int | None = None
    ) -> None:
        """A participant has no connection left (see ``Membership.connection_lost``)."""
        await self.membership.connection_lost(session_id, participant_id, closed_at)

    async def link_revoked(self, session_id: str, invite_id: str, by: str) -> None:
        """A join link was turned off (see ``Membership.link_revoked``)."""
        await self.membership.link_revoked(session_id, invite_id, by)

    async def recover(self) -> int:
        """After a restart, log drops of people with no connection (``Membership.recover``)."""
        return await self.membership.recover()

    async def live(self, session_id: str) -> LiveSession:
        """The live session as this node knows it."""
        return await self.recorder.live(session_id)


__all__ = ["LiveChannel", "LiveSession"]
