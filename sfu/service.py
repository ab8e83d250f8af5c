"""The SFU's narrow message interface: requests in, replies and events out.

The live channel calls `handle(room_id, participant_id, message)` with a
JSON-like dict (or `request` with a typed one, see `sfu.messages`); the SFU
talks back to browsers only through `emit(room_id, participant_id, event)`.
Nothing here knows sessions, roles or names, so the same interface can sit
behind a worker process and a message bus.
"""

from __future__ import annotations

import logging
from typing import Any

from sfu.aiortc_internals.ice import (
    close_interrupted_gathering,
    foreign_datagrams_dropped,
    guard_incoming_datagrams,
    patch_consent_freshness,
    set_ice_host_addresses,
)
from sfu.captions import CaptionsHook
from sfu.config import SfuConfig
from sfu.errors import BadMessage, CaptionsUnavailable, NotInRoom, RoomClosed
from sfu.messages import (
    Answer,
    AudioOnly,
    Captions,
    Clip,
    Emit,
    Group,
    IceRestart,
    Join,
    Leave,
    Mute,
    Privacy,
    Publish,
    Record,
    Remove,
    Reply,
    Request,
    ServerMute,
    StopScreen,
    View,
    check_id,
    parse_request,
)
from sfu.privacy import PrivacyPolicy
from sfu.room import Room

logger = logging.getLogger(__name__)


class SfuService:
    """All rooms of one SFU process, driven by messages."""

    def __init__(self, config: SfuConfig, emit: Emit, captions: CaptionsHook | None = None) -> None:
        self.config = config
        self._emit = emit
        self._captions = captions
        """Makes a room's audio listener when captions are turned on (None: no captions)."""
        self._rooms: dict[str, Room] = {}
        self._closed = False
        set_ice_host_addresses(config.ice_host_addresses)
        guard_incoming_datagrams()
        patch_consent_freshness()
        close_interrupted_gathering()

    async def handle(self, room_id: str, participant_id: str, message: object) -> dict[str, Any]:
        """Apply one JSON-like message from a participant; returns the reply as a dict.

        Raises SfuError on bad input (BadMessage for a message that does not parse).
        """
        self._check(room_id, participant_id)
        reply = await self.request(room_id, participant_id, parse_request(message))
        return reply.to_wire()

    async def request(self, room_id: str, participant_id: str, request: Request) -> Reply:
        """Apply one typed request from a participant; raises SfuError on bad input."""
        self._check(room_id, participant_id)
        if isinstance(request, Join):
            room = self._rooms.get(room_id)
            if room is None:
                room = self._rooms[room_id] = Room(room_id, self.config, self._emit)
            async with room.lock:
                return await room.join(participant_id)
        room = self._rooms.get(room_id)
        if room is None:
            raise NotInRoom(f"room {room_id} has no participants")
        if isinstance(request, Captions):
            async with room.lock:
                reply = self._set_captions(room, request.on)
        elif request.SERIALISED:
            async with room.lock:
                reply = await _dispatch(room, participant_id, request)
        else:
            reply = await _dispatch(room, participant_id, request)
        if not room.participants and self._rooms.get(room_id) is room:
            await self.close_room(room_id)  # the last one left: free its tasks
        return reply

    def _set_captions(self, room: Room, on: bool) -> Reply:
        if not on:
            return room.set_captions(None)
        if self._captions is None:
            raise CaptionsUnavailable("this media server has no speech engine for captions")
        return room.set_captions(self._captions(room.id))

    def _check(self, room_id: str, participant_id: str) -> None:
        if self._closed:
            raise RoomClosed("the SFU is closed")
        check_id(room_id, "room")
        check_id(participant_id, "participant")

    async def close_room(self, room_id: str) -> None:
        """Close one room: every connection, task and recording (idempotent)."""
        room = self._rooms.pop(room_id, None)
        if room is not None:
            await room.close()

    async def close(self) -> None:
        """Close every room (idempotent); later messages get `room_closed`."""
        self._closed = True
        for room_id in list(self._rooms):
            await self.close_room(room_id)

    def stats(self) -> dict[str, Any]:
        """Rooms, participants, peer connections, tasks and forwarded packets."""
        totals: dict[str, Any] = {"rooms": len(self._rooms)}
        for room in self._rooms.values():
            for key, value in room.stats().items():
                if isinstance(value, bool):
                    continue
                totals[key] = totals.get(key, 0) + value
        for key in ("participants", "peer_connections", "tasks", "legs", "forwarded_packets"):
            totals.setdefault(key, 0)
        totals["foreign_datagrams_dropped"] = foreign_datagrams_dropped()
        return totals


async def _dispatch(room: Room, pid: str, request: Request) -> Reply:
    # Membership and publishing changes of one room run one at a time (the
    # caller holds the room's lock for SERIALISED requests); answers, mutes
    # and subscription switches never wait behind them.
    match request:
        case Publish(sdp=sdp, source="screen"):
            return await room.publish_screen(pid, sdp)
        case Publish(sdp=sdp):
            return await room.publish(pid, sdp)
        case Clip(action=action, clip=clip, path=path, offset=offset):
            return await room.clip(action, clip, path, offset)
        case StopScreen(target=target):
            return await room.stop_screen(pid, target)
        case Answer(sdp=sdp):
            return await room.apply_answer(pid, sdp)
        case Mute(kind=kind, muted=muted):
            return await room.mute(pid, kind, muted)
        case ServerMute(target=target, kind=kind, muted=muted):
            return await room.server_mute(pid, target, kind, muted)
        case AudioOnly(on=on):
            return room.audio_only(pid, on)
        case View(publisher=publisher, height=height):
            return room.view(pid, publisher, height)
        case IceRestart():
            return room.restart_subscriptions(pid)
        case Leave():
            return await room.leave(pid)
        case Remove(target=target):
            return await room.remove(pid, target)
        case Record(on=on, allowed=allowed):
            return await room.record(pid, on, list(allowed))
        case Group(members=members, group=group):
            return room.set_group(list(members), group)
        case Privacy(on=on, voices=voices, open=open_ids, shown=shown):
            return room.set_privacy(
                PrivacyPolicy(on, voices, frozenset(open_ids), frozenset(shown))
            )
    raise BadMessage(f"unknown message type {request.TYPE!r}")
