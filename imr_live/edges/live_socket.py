"""The Socket.IO edge of the live channel: authenticate, parse, rate-limit, dispatch.

Every event is acknowledged with ``{"ok": true, ...}`` or
``{"ok": false, "error": {"code", "message"}}``; see docs/events.md.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Coroutine
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import socketio

from imr_live.domain.rate_limit import AddressLimits, AddressState, SharedCounters, TokenBucket
from imr_live.domain.seat import Seat
from imr_live.domain.telemetry import NO_TELEMETRY, Telemetry
from imr_live.edges.addresses import client_address
from imr_live.edges.wire import MALFORMED, RESERVED, printable
from imr_live.errors import (
    Conflict,
    ImrError,
    InvalidInput,
    NotAuthenticated,
    RateLimited,
    Unavailable,
)
from imr_live.media.rooms import person_room, room, staff_room
from imr_live.services import Services
from imr_live.store.coordination import Coordination

log = logging.getLogger("imr_live.socket")
STAFF_COOKIE = "imr_staff"


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
            try:
                await self.sio.enter_room(sid, room(session_id))
                if staff:
                    await self.sio.enter_room(sid, staff_room(session_id))
            except (KeyError, ValueError):
                # Closed meanwhile: its close is recorded by the disconnect handler.
                log.info("connection of participant=%s closed before entering", participant_id)

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


@dataclass
class Connection:
    """One authenticated Socket.IO connection of this node."""

    seat: Seat
    address: AddressState
    """Budgets of the client address it came from (shared with its other connections)."""
    bucket: TokenBucket
    """Events this connection may send (refused beyond it)."""
    strikes: TokenBucket
    """Refused events it may send before it is cut off (a flood, not a burst)."""
    busy: int = 0
    """Events being handled now; a close waits for them (a join must land before its drop)."""
    in_flight: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(IN_FLIGHT))
    """Events of this connection past their budget check and being handled at once: the
    rest wait here, not in the session's queue, so a burst of one connection's events
    is not all queued ahead of everyone else's (each logged event is a durable write)."""
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    closed: bool = False
    cut: bool = False
    """The server is closing it (flood, revoked link): said once."""
    link_checked: float = 0.0
    """When the guest's join link was last found valid (monotonic seconds)."""


class LiveSocket:
    """Registers the live-channel handlers on a Socket.IO server."""

    def __init__(
        self,
        sio: socketio.AsyncServer,
        services: Services,
        telemetry: Telemetry = NO_TELEMETRY,
        shared: SharedCounters | None = None,
    ) -> None:
        self.sio = sio
        self.services = services
        self.telemetry = telemetry
        self._conns: dict[str, Connection] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._closing = 0
        self._none_closing = asyncio.Event()
        self._none_closing.set()
        cfg = services.config
        self._addresses = AddressBudget(cfg.connects_per_minute, shared)
        self._limits = AddressLimits(
            max(cfg.address_events_per_second, cfg.events_per_second),
            max(cfg.address_event_burst, cfg.event_burst),
            2 * cfg.event_burst,  # one connection's flood alone does not spend them
        )
        sio.on("connect", self.on_connect)
        sio.on("disconnect", self.on_disconnect)
        sio.on("*", self.on_event)

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        """Authenticate a new connection with a join link or a staff login."""
        address = client_address(environ, self.services.config.trusted_proxies)
        try:
            await self._admit_address(address)
            seat = await self._authenticate(environ, auth if isinstance(auth, dict) else {})
        except ImrError as exc:
            if not isinstance(exc, RateLimited):  # those are summed up per address
                log.info("connection refused: %s", exc.code)
            raise socketio.exceptions.ConnectionRefusedError(exc.message, exc.as_dict()) from None
        cfg = self.services.config
        conn = Connection(
            seat,
            self._limits.state(address),
            TokenBucket(cfg.events_per_second, cfg.event_burst),
            TokenBucket(cfg.events_per_second, cfg.event_burst),
            link_checked=time.monotonic(),
        )
        conn.idle.set()
        self._conns[sid] = conn
        self.telemetry.connection_opened()
        await self.sio.enter_room(sid, person_room(seat.session_id, seat.participant_id))
        log.info(
            "connected session=%s participant=%s role=%s",
            seat.session_id,
            seat.participant_id,
            seat.role.value,
        )

    async def _admit_address(self, address: str) -> None:
        """Refuse a connection from an address that was just cut off or opens too many."""
        try:
            if self._limits.flooding(address):
                raise RateLimited("too many events from your address; wait a moment")
            await self._addresses.take(address)
        except RateLimited:
            state = self._limits.state(address)
            state.connects_refused += 1
            self._summarize(state)
            raise

    def _summarize(self, state: AddressState) -> None:
        """The operators' one line per address per minute about its refusals."""
        line = state.summary()
        if line is not None:
            log.warning("rate limit: address=%s %s", printable(state.address, 64), line)

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
        """A connection closed: once its events are done, tell the domain (left, dropped or nothing).

        Waiting for the connection's own events first keeps the order the person saw: a
        ``join`` still being written when the socket closed lands before its drop, so no
        closed connection is left in presence.
        """
        conn = self._conns.get(sid)
        if conn is None or conn.closed:
            return
        conn.closed = True
        self._closing += 1
        self._none_closing.clear()
        # Recorded in a task of its own, never inline: Engine.IO runs this handler inside
        # whatever send noticed the dead socket, and that send may be a broadcast made
        # while a command holds the session lock the drop needs.
        self._spawn(self._record_close(sid, conn))

    async def _record_close(self, sid: str, conn: Connection) -> None:
        try:
            await conn.idle.wait()
            del self._conns[sid]
            await self._closed(conn.seat, sid)
        finally:
            self._closing -= 1
            if self._closing == 0:
                self._none_closing.set()

    async def drain(self) -> None:
        """Shutdown: wait until every close being handled is recorded (before the log closes)."""
        try:
            await asyncio.wait_for(self._none_closing.wait(), DRAIN_S)
        except TimeoutError:
            log.warning("%d connection closes still unrecorded at shutdown", self._closing)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _closed(self, seat: Seat, sid: str) -> None:
        self.telemetry.connection_closed()
        try:
            await self.services.channel.disconnect(seat, sid)
        except Unavailable:  # the channel queued it: recorded once the store or Redis is back
            log.warning("disconnect of %s not recorded yet: retried later", seat.participant_id)
        except ImrError as exc:
            log.warning("disconnect of %s not recorded: %s", seat.participant_id, exc.code)

    async def on_event(self, event: str, sid: str, *args: Any) -> dict[str, Any] | None:
        """Every named event, timed from receipt to ack."""
        conn = self._conns.get(sid)
        if conn is None or conn.closed or conn.cut:
            return ack_error(Conflict("this connection is closing", code="not_joined"))
        conn.busy += 1
        conn.idle.clear()
        started = time.perf_counter()
        try:
            ack = await self._acked(event, sid, conn, args)
        finally:
            conn.busy -= 1
            if conn.busy == 0:
                conn.idle.set()
        self.telemetry.event_acked(event[:40], time.perf_counter() - started, bool(ack["ok"]))
        return ack

    async def _acked(
        self, event: str, sid: str, conn: Connection, args: tuple[Any, ...]
    ) -> dict[str, Any]:
        """Rate limit, shape and size checks, link still valid, dispatch; always acknowledged."""
        seat = conn.seat
        try:
            self._spend(sid, conn)
        except RateLimited as exc:  # counted in the address's summary line, not one line each
            return ack_error(exc)
        try:
            async with conn.in_flight:
                data = _one_payload(event, args)
                _check_size(data, self.services.config.max_event_bytes)
                await self._check_link(sid, conn)
                result = await self._dispatch(seat, sid, event, data)
            return {"ok": True, **result}
        except ImrError as exc:
            log.info(
                "refused %s from participant=%s: %s",
                printable(event),
                seat.participant_id,
                exc.code,
            )
            return ack_error(exc)
        except Exception:
            log.exception(
                "event %s from participant=%s failed", printable(event), seat.participant_id
            )
            return ack_error(ImrError("something went wrong on the server; please try again"))

    def _spend(self, sid: str, conn: Connection) -> None:
        """Take one event from the connection's and its address's budgets.

        A connection that floods on is cut off when its own refusals or its address's
        run out; the address's outlast the connection, so a flooder that reconnects
        is cut again at once (and its address may not reconnect for a moment).
        """
        address = conn.address
        if conn.bucket.try_take() and address.events.try_take():
            return
        address.refused += 1
        own, shared = conn.strikes.try_take(), address.strikes.try_take()
        if not shared:  # the address keeps flooding, over connections: it waits, too
            address.penalize()
            self._cut(sid, conn, "too_many_events")
        elif not own:  # one connection flooded: only it is cut (others may share the address)
            address.cut += 1
            self._cut(sid, conn, "too_many_events")
        self._summarize(address)
        raise RateLimited("you are sending too fast; wait a moment")

    def _spawn(self, job: Coroutine[Any, Any, None]) -> None:
        """Run ``job`` after the current ack; kept until done so it is never lost."""
        task = asyncio.get_running_loop().create_task(job)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("closing a connection failed", exc_info=task.exception())

    def _cut(self, sid: str, conn: Connection, reason: str) -> None:
        """Tell a connection why it is closed, then close it and its transport (once)."""
        if not conn.cut:
            conn.cut = True
            self._spawn(self._close_transport(sid, reason))

    async def _close_transport(self, sid: str, reason: str) -> None:
        await self.sio.emit("closed", {"reason": reason}, to=sid)
        eio_sid = self.sio.manager.eio_sid_from_sid(sid, "/")
        await self.sio.disconnect(sid)
        if eio_sid is not None:
            await self.sio.eio.disconnect(eio_sid)

    async def _check_link(self, sid: str, conn: Connection) -> None:
        """A guest's link is re-read at most once a second: revoked or expired links stop."""
        now = time.monotonic()
        if conn.seat.staff or now - conn.link_checked < LINK_RECHECK_S:
            return
        try:
            await self.services.links.still_valid(conn.seat.participant_id)
        except NotAuthenticated as exc:
            self._cut(sid, conn, exc.code)
            raise
        conn.link_checked = now

    async def _dispatch(self, seat: Seat, sid: str, event: str, data: Any) -> dict[str, Any]:
        channel = self.services.channel
        if event == "join":
            return (await channel.join(seat, sid, data)).wire()
        if event == "media":
            return (await channel.media(seat, data)).wire()
        return (await channel.command(seat, event, data)).wire()


IN_FLIGHT = 2
"""Events of one connection handled at the same time (the rest wait their turn)."""
LINK_RECHECK_S = 1.0
DRAIN_S = 10.0
"""Longest shutdown waits for closes still being recorded."""


class AddressBudget:
    """New connections per client address per minute, so one address cannot exhaust the nodes.

    On one node a token bucket; with Redis (``shared``) a count per address and
    clock minute that every node adds to, so the limit holds across nodes.
    """

    def __init__(self, per_minute: int, shared: SharedCounters | None = None) -> None:
        self.per_minute = per_minute
        self.shared = shared
        self._buckets: dict[str, TokenBucket] = {}

    async def take(self, address: str) -> None:
        """Spend one connection of ``address``'s budget or raise RateLimited."""
        if self.shared is not None:
            minute = int(time.time() // 60)
            if await self.shared.hit(f"connect:{address}:{minute}", 120) > self.per_minute:
                raise RateLimited("too many connections from your address; wait a minute")
            return
        if len(self._buckets) > 10_000:
            self._buckets.clear()  # bounded memory; a fresh minute for everyone
        bucket = self._buckets.setdefault(
            address, TokenBucket(self.per_minute / 60, self.per_minute)
        )
        if not bucket.try_take():
            raise RateLimited("too many connections from your address; wait a minute")


def _one_payload(event: str, args: tuple[Any, ...]) -> Any:
    """The event's single payload; refusals for frames the guard turned into events."""
    if event == MALFORMED:
        raise InvalidInput(str(args[0]) if args else "the frame could not be read")
    if event == RESERVED:
        raise InvalidInput(str(args[0]) if args else "reserved name", code="unknown_event")
    if len(args) > 1:
        raise InvalidInput("an event carries one payload object")
    return args[0] if args else None


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
