"""The Socket.IO edge of the live channel: authenticate, parse, rate-limit, dispatch.

Every event is acknowledged with ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``; see docs/events.md.
"""

from __future__ import annotations

import json
import logging
import time
from http.cookies import SimpleCookie
from typing import Any

import socketio

from imr_live.domain.coordination import Coordination
from imr_live.domain.rate_limit import TokenBucket
from imr_live.domain.seat import Seat
from imr_live.domain.telemetry import NO_TELEMETRY, Telemetry
from imr_live.errors import ImrError, InvalidInput, NotAuthenticated, Unavailable
from imr_live.services import Services

log = logging.getLogger("imr_live.socket")
STAFF_COOKIE = "imr_staff"


def room(session_id: str) -> str:
    """Socket.IO room of everyone admitted to a session."""
    return f"s:{session_id}"


def staff_room(session_id: str) -> str:
    """Socket.IO room of a session's leaders, co-leaders and supervisors."""
    return f"st:{session_id}"


def person_room(session_id: str, participant_id: str) -> str:
    """Socket.IO room of one participant's connections."""
    return f"p:{session_id}:{participant_id}"


class SocketFanout:
    """Implements the domain's Fanout with Socket.IO rooms."""

    def __init__(self, sio: socketio.AsyncServer, coordination: Coordination) -> None:
        self.sio = sio
        self.coord = coordination

    async def to_room(self, session_id: str, name: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(name, payload, room=room(session_id))

    async def to_staff(self, session_id: str, name: str, payload: dict[str, Any]) -> None:
        await self.sio.emit(name, payload, room=staff_room(session_id))

    async def to_participant(
        self, session_id: str, participant_id: str, name: str, payload: dict[str, Any]
    ) -> None:
        await self.sio.emit(name, payload, room=person_room(session_id, participant_id))

    async def enter_room(self, session_id: str, participant_id: str, staff: bool) -> None:
        # Connections may be on other nodes: the Redis manager forwards room changes.
        for sid in await self.coord.connections(session_id, participant_id):
            await self.sio.enter_room(sid, room(session_id))
            if staff:
                await self.sio.enter_room(sid, staff_room(session_id))

    async def leave_room(self, session_id: str, participant_id: str) -> None:
        for sid in await self.coord.connections(session_id, participant_id):
            await self.sio.leave_room(sid, room(session_id))
            await self.sio.leave_room(sid, staff_room(session_id))

    async def disconnect(self, session_id: str, participant_id: str) -> None:
        for sid in await self.coord.connections(session_id, participant_id):
            await self.sio.disconnect(sid)


def ack_error(exc: ImrError) -> dict[str, Any]:
    """The ack of a refused event."""
    return {"ok": False, "error": exc.as_dict()}


class LiveSocket:
    """Registers the live-channel handlers on a Socket.IO server."""

    def __init__(self, sio: socketio.AsyncServer, services: Services) -> None:
        self.sio = sio
        self.services = services
        self.extra_events: dict[str, Any] = {}
        """Further event handlers ``(seat, sid, data) -> dict`` (the media edge adds its own)."""
        self.gone_hooks: list[Any] = []
        """Coroutines ``(seat)`` called after a connection closed."""
        self.telemetry: Telemetry = NO_TELEMETRY
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("*", self.on_event)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Authenticate a new connection with a join link or a staff login."""
        try:
            seat = await self._authenticate(environ, auth if isinstance(auth, dict) else {})
        except ImrError as exc:
            log.info("connection refused: %s", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.as_dict()) from None
        cfg = self.services.config
        await self.sio.save_session(
            sid, {"seat": seat, "bucket": TokenBucket(cfg.events_per_second, cfg.event_burst)}
        )
        self.telemetry.connection_opened()
        await self.sio.enter_room(sid, person_room(seat.session_id, seat.participant_id))
        log.info(
            "connected session=%s participant=%s role=%s",
            seat.session_id,
            seat.participant_id,
            seat.role.value,
        )

    async def _authenticate(self, environ: dict[str, Any], auth: dict[str, Any]) -> Seat:
        s = self.services
        if not s.accepting:
            raise Unavailable("the server is restarting; try again in a moment")
        token, session_id = auth.get("token"), auth.get("session")
        if isinstance(token, str) and 0 < len(token) < 200:
            invite = await s.links.check(token)
            session = await s.sessions.get(invite.session_id)
            await s.links.check(token, session)
            return Seat(session, invite.id, invite.role, staff=False)
        staff_token = auth.get("staff_token") or _cookie(environ, STAFF_COOKIE)
        if not isinstance(staff_token, str) or not isinstance(session_id, str):
            raise NotAuthenticated("open your join link, or sign in as staff")
        account = await s.accounts.from_token(staff_token)
        session = await s.sessions.get(session_id[:40])
        role = session.staff_role(account)
        if role is None:
            raise NotAuthenticated("you are not part of this session", code="forbidden")
        return Seat(session, account.id, role, staff=True, default_name=account.username)

    async def on_disconnect(self, sid: str, *_args: Any) -> None:
        """A connection closed: tell the domain (it decides left, dropped or nothing)."""
        sess = await self.sio.get_session(sid)
        seat: Seat | None = sess.get("seat")
        if seat is None:
            return
        self.telemetry.connection_closed()
        try:
            await self.services.channel.disconnect(seat, sid)
        except Unavailable:  # the channel queued it: recorded once the store or Redis is back
            log.warning("disconnect of %s not recorded yet: retried later", seat.participant_id)
        except ImrError as exc:
            log.warning("disconnect of %s not recorded: %s", seat.participant_id, exc.code)
        for hook in self.gone_hooks:
            await hook(seat)

    async def on_event(self, event: str, sid: str, data: Any = None) -> dict[str, Any]:
        """Every named event, timed from receipt to ack."""
        started = time.perf_counter()
        ack = await self._acked(event, sid, data)
        self.telemetry.event_acked(event, time.perf_counter() - started, bool(ack["ok"]))
        return ack

    async def _acked(self, event: str, sid: str, data: Any) -> dict[str, Any]:
        """Rate limit, size check, dispatch; always acknowledged."""
        sess = await self.sio.get_session(sid)
        seat: Seat = sess["seat"]
        try:
            sess["bucket"].take()
            _check_size(data, self.services.config.max_event_bytes)
            result = await self._dispatch(seat, sid, event, data)
            return {"ok": True, **result}
        except ImrError as exc:
            log.info(
                "refused %s from participant=%s: %s", event[:40], seat.participant_id, exc.code
            )
            return ack_error(exc)
        except Exception:
            log.exception("event %s from participant=%s failed", event[:40], seat.participant_id)
            return ack_error(ImrError("something went wrong on the server; please try again"))

    async def _dispatch(self, seat: Seat, sid: str, event: str, data: Any) -> dict[str, Any]:
        channel = self.services.channel
        if event == "join":
            return await channel.join(seat, sid, data)
        if event in self.extra_events:
            result: dict[str, Any] = await self.extra_events[event](seat, sid, data)
            return result
        return await channel.command(seat, event, data)


def _check_size(data: Any, limit: int) -> None:
    if data is None:
        return
    try:
        size = len(json.dumps(data))
    except (TypeError, ValueError) as exc:
        raise InvalidInput("the event payload must be JSON") from exc
    if size > limit:
        raise InvalidInput(
            f"the event is too large ({size} bytes; limit {limit})", code="too_large"
        )


def _cookie(environ: dict[str, Any], name: str) -> str | None:
    raw = environ.get("HTTP_COOKIE")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    jar.load(raw)
    morsel = jar.get(name)
    return morsel.value if morsel else None
