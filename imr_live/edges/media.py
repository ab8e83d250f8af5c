"""The media edge: carries SFU signalling over the live channel and SFU events back.

Browsers send ``media`` events ``{type: join|publish|answer|mute|audio_only|leave, ...}``;
the SFU answers in the ack and pushes ``media`` messages (offers, tracks, speaker,
muted). Only admitted people reach the SFU; leader actions (server mute,
removal, recording) come from the domain through ``MediaHooks``.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

import socketio

from imr_live.domain.roles import allowed
from imr_live.domain.seat import Seat
from imr_live.edges.live_socket import LiveSocket, person_room, room
from imr_live.errors import Conflict, Forbidden, ImrError, InvalidInput, Unavailable
from imr_live.services import Services
from sfu.errors import NotInRoom, SfuError

log = logging.getLogger("imr_live.media")
CLIENT_TYPES = frozenset(
    {"join", "publish", "answer", "mute", "audio_only", "ice_restart", "leave"}
)


def sfu_error(exc: SfuError) -> ImrError:
    """An SFU refusal as the live channel's error (keeps the SFU's stable code)."""
    return ImrError(exc.message, code=exc.code) if exc.code else InvalidInput(exc.message)


class MediaBackend(Protocol):
    """An SFU as the live channel drives it: in this process, or workers over Redis."""

    async def handle(
        self, room_id: str, participant_id: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply one signalling message; raises SfuError on bad input."""

    async def close_room(self, room_id: str) -> None:
        """Close a room and everything in it."""

    def stats(self) -> dict[str, Any]:
        """Counts for monitoring."""


class MediaBridge:
    """Connects one in-process SfuService to the live channel and Socket.IO."""

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self.sio = sio
        self.services = services
        self.sfu: MediaBackend | None = None

    def attach(self, sfu: MediaBackend, live_socket: LiveSocket) -> None:
        """Start carrying media events for ``sfu``."""
        self.sfu = sfu
        live_socket.extra_events["media"] = self.on_media
        self.services.channel.media = self

    async def emit(self, room_id: str, participant_id: str, event: dict[str, Any]) -> None:
        """What the SFU says to one participant's browser."""
        await self.sio.emit("media", event, room=person_room(room_id, participant_id))

    async def on_media(self, seat: Seat, _sid: str, data: Any) -> dict[str, Any]:
        """A browser's signalling message: admitted people only, client types only."""
        if not isinstance(data, dict) or data.get("type") not in CLIENT_TYPES:
            raise InvalidInput(f"media type must be one of {', '.join(sorted(CLIENT_TYPES))}")
        if not allowed("media", seat.role):
            raise Forbidden("your role does not send or receive media")
        live = await self.services.channel.live(seat.session_id)
        person = live.state.person(seat.participant_id)
        if person is None or not person.present:
            raise Conflict("wait until you are admitted", code="not_admitted")
        return await self._handle(seat.session_id, seat.participant_id, data)

    async def _handle(self, room_id: str, pid: str, message: dict[str, Any]) -> dict[str, Any]:
        if self.sfu is None:
            raise Unavailable("the media server is not running")
        try:
            return await self.sfu.handle(room_id, pid, message)
        except SfuError as exc:
            log.info("media %s from %s refused: %s", message.get("type"), pid, exc.code)
            raise sfu_error(exc) from None

    # -- MediaHooks (called by the domain) --------------------------------------------

    async def participant_gone(self, session_id: str, participant_id: str) -> None:
        """Close a participant's media; nothing to do if they had none."""
        try:
            await self._handle(session_id, participant_id, {"type": "leave"})
        except ImrError as exc:
            if exc.code not in (NotInRoom.code, "room_closed", "unavailable"):
                raise

    async def set_recording(
        self, session_id: str, by: str, on: bool, allowed_ids: list[str]
    ) -> None:
        """Start or stop recording the consenting participants."""
        await self._handle(session_id, by, {"type": "record", "on": on, "allowed": allowed_ids})

    async def server_mute(
        self, session_id: str, by: str, target: str, kind: str, muted: bool
    ) -> None:
        """Stop (or resume) forwarding a participant's track."""
        message = {"type": "server_mute", "target": target, "kind": kind, "muted": muted}
        await self._handle(session_id, by, message)

    async def room_moved(self, room_id: str) -> None:
        """The room's media server died and another took it: everyone re-connects media."""
        await self.sio.emit(
            "media", {"type": "restart", "reason": "media_server_moved"}, room=room(room_id)
        )

    async def session_ended(self, session_id: str) -> None:
        """Close the session's media room."""
        if self.sfu is not None:
            await self.sfu.close_room(session_id)
