"""The SFU's narrow message interface: JSON-like dicts in, replies and events out.

The live channel calls `handle(room_id, participant_id, message)`; the SFU
talks back to browsers only through `emit(room_id, participant_id, event)`.
Nothing here knows sessions, roles or names, so the same interface can sit
behind a worker process and a message bus.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from sfu import aiortc_internals as internals
from sfu.config import SfuConfig
from sfu.errors import BadMessage, NotInRoom, RoomClosed
from sfu.room import Room

logger = logging.getLogger(__name__)

Emit = Callable[[str, str, dict[str, Any]], Awaitable[None]]

_ID = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.:-]{0,127}$")
KINDS = ("audio", "video")
# Membership and publishing changes of one room run one at a time; answers,
# mutes and subscription switches never wait behind them.
SERIALISED = frozenset({"publish", "leave", "remove", "record", "ice_restart"})


def _str(message: dict[str, Any], key: str) -> str:
    value = message.get(key)
    if not isinstance(value, str) or not value:
        raise BadMessage(f"'{key}' must be a non-empty string")
    return value


def _bool(message: dict[str, Any], key: str, default: bool | None = None) -> bool:
    value = message.get(key, default)
    if not isinstance(value, bool):
        raise BadMessage(f"'{key}' must be true or false")
    return value


def _kind(message: dict[str, Any], default: str | None = None) -> str:
    kind = message.get("kind", default)
    if kind not in KINDS:
        raise BadMessage("'kind' must be 'audio' or 'video'")
    return str(kind)


def _id(value: str, what: str) -> str:
    if not _ID.match(value):
        raise BadMessage(f"{what} id {value!r} is not a valid id")
    return value


class SfuService:
    """All rooms of one SFU process, driven by messages."""

    def __init__(self, config: SfuConfig, emit: Emit) -> None:
        self.config = config
        self._emit = emit
        self._rooms: dict[str, Room] = {}
        self._closed = False
        internals.set_ice_host_addresses(config.ice_host_addresses)

    async def handle(
        self, room_id: str, participant_id: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Apply one message from a participant; returns the reply, raises SfuError on bad input."""
        if self._closed:
            raise RoomClosed("the SFU is closed")
        _id(room_id, "room")
        _id(participant_id, "participant")
        if not isinstance(message, dict):
            raise BadMessage("a message must be an object")
        kind = message.get("type")
        if kind == "join":
            room = self._rooms.get(room_id)
            if room is None:
                room = self._rooms[room_id] = Room(room_id, self.config, self._emit)
            async with room.lock:
                return await room.join(participant_id)
        room = self._rooms.get(room_id)
        if room is None:
            raise NotInRoom(f"room {room_id} has no participants")
        if kind in SERIALISED:
            async with room.lock:
                reply = await self._dispatch(room, participant_id, kind, message)
        else:
            reply = await self._dispatch(room, participant_id, kind, message)
        if not room.participants and self._rooms.get(room_id) is room:
            await self.close_room(room_id)  # the last one left: free its tasks
        return reply

    async def _dispatch(
        self, room: Room, pid: str, kind: object, message: dict[str, Any]
    ) -> dict[str, Any]:
        if kind == "publish":
            if message.get("sdp_type", "offer") != "offer":
                raise BadMessage("publish carries an offer")
            return await room.publish(pid, _str(message, "sdp"))
        if kind == "answer":
            return await room.apply_answer(pid, _str(message, "sdp"))
        if kind == "mute":
            return await room.mute(pid, _kind(message), _bool(message, "muted", True))
        if kind == "server_mute":
            target = _id(_str(message, "target"), "target")
            return await room.server_mute(
                pid, target, _kind(message, "audio"), _bool(message, "muted", True)
            )
        if kind == "audio_only":
            return room.audio_only(pid, _bool(message, "on", True))
        if kind == "ice_restart":
            if message.get("pc", "sub") != "sub":
                raise BadMessage("restart publishing by sending a new 'publish' offer")
            return room.restart_subscriptions(pid)
        if kind == "leave":
            return await room.leave(pid)
        if kind == "remove":
            return await room.remove(pid, _id(_str(message, "target"), "target"))
        if kind == "record":
            allowed = message.get("allowed", [])
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise BadMessage("'allowed' must be a list of participant ids")
            return await room.record(
                pid, _bool(message, "on"), [_id(a, "allowed") for a in allowed]
            )
        raise BadMessage(f"unknown message type {kind!r}")

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
        return totals
