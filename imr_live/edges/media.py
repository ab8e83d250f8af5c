"""The media edge: carries SFU signalling for the live channel and SFU events back.

Browsers send ``media`` events ``{type: join|publish|answer|mute|audio_only|leave, ...}``
(a catalogued command: the channel checks role and presence, then calls
``signal``); the SFU answers in the ack and pushes ``media`` messages (offers,
tracks, speaker, muted). Leader actions (server mute, removal, recording) come
from the domain through the same ``MediaHooks``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import socketio

from imr_live.domain.commands import MediaMessage
from imr_live.domain.events import MediaAck
from imr_live.errors import ImrError, InvalidInput, Unavailable
from imr_live.media.backend import MediaBackend
from imr_live.media.rooms import person_room, room
from sfu.errors import NotInRoom, SfuError

log = logging.getLogger("imr_live.media")


def sfu_error(exc: SfuError) -> ImrError:
    """An SFU refusal as the live channel's error (keeps the SFU's stable code)."""
    return ImrError(exc.message, code=exc.code) if exc.code else InvalidInput(exc.message)


class MediaBridge:
    """Implements the domain's MediaHooks with an SFU backend and Socket.IO."""

    def __init__(self, sio: socketio.AsyncServer, call_limit_s: float = 15.0) -> None:
        self.sio = sio
        self.sfu: MediaBackend | None = None
        self.call_limit_s = call_limit_s
        """How long the live channel waits for one SFU call (it runs under the session's lock)."""
        self._overdue: set[asyncio.Task[dict[str, Any]]] = set()

    def attach(self, sfu: MediaBackend) -> None:
        """Carry media for ``sfu`` (it needs ``emit`` first, so it is made after the bridge)."""
        self.sfu = sfu

    async def emit(self, room_id: str, participant_id: str, event: dict[str, Any]) -> None:
        """What the SFU says to one participant's browser."""
        await self.sio.emit("media", event, room=person_room(room_id, participant_id))

    async def signal(self, session_id: str, participant_id: str, message: MediaMessage) -> MediaAck:
        """A browser's signalling message, already checked by the channel."""
        reply = await self._handle(session_id, participant_id, message.model_dump())
        return MediaAck.model_validate(reply)

    async def _handle(self, room_id: str, pid: str, message: dict[str, Any]) -> dict[str, Any]:
        if self.sfu is None:
            raise Unavailable("the media server is not running")
        call = asyncio.ensure_future(self.sfu.handle(room_id, pid, message))
        try:
            # Shielded: an SFU operation cut in half would leave its room half changed.
            return await asyncio.wait_for(asyncio.shield(call), self.call_limit_s)
        except SfuError as exc:
            log.info("media %s from %s refused: %s", message.get("type"), pid, exc.code)
            raise sfu_error(exc) from None
        except TimeoutError:
            log.warning(
                "media %s took over %.0f s; the session goes on without it",
                message.get("type"),
                self.call_limit_s,
            )
            self._overdue.add(call)
            call.add_done_callback(self._finished_late)
            raise Unavailable("the media server is slow to answer; try again") from None

    def _finished_late(self, call: asyncio.Task[dict[str, Any]]) -> None:
        """An SFU call that outlived its wait ended: say how, once."""
        self._overdue.discard(call)
        if call.cancelled():
            return
        exc = call.exception()
        if exc is not None and not isinstance(exc, SfuError):
            log.error("a late media call failed", exc_info=exc)

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

    async def stop_screen(self, session_id: str, participant_id: str) -> None:
        """Stop forwarding someone's screen share; asked in their name, so it works whether
        or not the lead who stops it has media (no share or no media: nothing to stop)."""
        await self._set_in_room(
            session_id, participant_id, {"type": "stop_screen", "target": participant_id}
        )

    async def clip(
        self,
        session_id: str,
        by: str,
        action: str,
        clip: str,
        path: str = "",
        offset: float | None = None,
    ) -> None:
        """Play, keep, pause, resume, seek or stop a clip in the media room; no media room
        (yet) means nobody receives media: the first media join starts it (``keep``)."""
        message: dict[str, Any] = {"type": "clip", "action": action, "clip": clip}
        if path:
            message["path"] = path
        if offset is not None:
            message["offset"] = offset
        await self._set_in_room(session_id, by, message)

    async def set_group(self, session_id: str, by: str, members: list[str], group: str) -> None:
        """Keep ``members``' media within ``group`` ("" is the whole room); no media room yet
        means nobody's media flows, so there is nothing to keep apart."""
        await self._set_in_room(
            session_id, by, {"type": "group", "members": members, "group": group}
        )

    async def set_captions(self, session_id: str, by: str, on: bool) -> None:
        """Caption the media room's audio, or stop; no media room yet: nothing to caption."""
        await self._set_in_room(session_id, by, {"type": "captions", "on": on})

    async def set_privacy(
        self,
        session_id: str,
        by: str,
        on: bool,
        voices: bool,
        open_ids: list[str],
        shown: list[str],
    ) -> None:
        """Set private group mode in the media room; no media room yet: nothing flows."""
        message = {"type": "privacy", "on": on, "voices": voices, "open": open_ids, "shown": shown}
        await self._set_in_room(session_id, by, message)

    async def _set_in_room(self, session_id: str, by: str, message: dict[str, Any]) -> None:
        """A room setting; no media room (yet, or any more) means there is nothing to set."""
        try:
            await self._handle(session_id, by, message)
        except ImrError as exc:
            if exc.code not in (NotInRoom.code, "room_closed"):
                raise

    async def room_moved(self, room_id: str) -> None:
        """The room's media server died and another took it: everyone re-connects media."""
        await self.sio.emit(
            "media", {"type": "restart", "reason": "media_server_moved"}, room=room(room_id)
        )

    async def session_ended(self, session_id: str) -> None:
        """Close the session's media room."""
        if self.sfu is not None:
            await self.sfu.close_room(session_id)
