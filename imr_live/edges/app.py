"""The aiohttp application: services set up and torn down in order via cleanup_ctx."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator

import socketio
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from imr_live.captions.captioner import Captioner
from imr_live.captions.engine import load_engine
from imr_live.config import Config, finalize
from imr_live.domain import events
from imr_live.domain.accounts import Accounts, LoginThrottle
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_channel import LiveChannel
from imr_live.domain.recorder import IceServersFor, SessionRecorder
from imr_live.domain.safety_retention import SafetyRetention
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.sessions import Sessions
from imr_live.domain.turn import TurnCredentials, turn_credentials
from imr_live.edges import clips_api, handouts_api, http_api, metrics, pages, review_api
from imr_live.edges.clip_library import ClipLibrary
from imr_live.edges.keys import SERVICES, SIO
from imr_live.edges.live_socket import LiveSocket, SocketFanout
from imr_live.edges.media import MediaBridge
from imr_live.edges.wire import GuardedPacket
from imr_live.errors import ConfigError
from imr_live.media.backend import MediaBackend
from imr_live.media.rpc import RemoteSfu
from imr_live.media.socketio_redis import ClosingRedisManager
from imr_live.services import Services
from imr_live.store.coordination import Coordination, MemoryCoordination
from imr_live.store.database import Database, open_database
from imr_live.store.log_settings import LogSettings
from imr_live.store.redis_coordination import RedisCoordination
from imr_live.store.session_log import SessionLog
from sfu.service import SfuService

log = logging.getLogger("imr_live.app")
_TOKEN_PATH = re.compile(r"/join/[^/?\s]+")


class RedactingAccessLogger(AbstractAccessLogger):
    """Access log lines without join-link tokens or query strings."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = _TOKEN_PATH.sub("/join/<token>", request.path)
        self.logger.info("%s %s %s %.1fms", request.method, path, response.status, time * 1000)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def make_sio(config: Config) -> socketio.AsyncServer:
    """The Socket.IO server (Redis manager when REDIS_URL is set)."""
    manager = None
    if config.redis_url:
        manager = ClosingRedisManager(config.redis_url, channel=f"{config.redis_prefix}socketio")
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=list(config.cors_origins) or None,
        serializer=GuardedPacket,
        # Frames above the event limit are refused by Engine.IO before they are read.
        max_http_buffer_size=2 * config.max_event_bytes,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )


def create_app(config: Config, scripts: ScriptLibrary | None = None) -> web.Application:
    """Build the application; its resources start in ``cleanup_ctx`` when it runs.

    ``scripts`` replaces the session scripts loaded from ``config.scripts_dir``.
    """
    config = finalize(config)
    app = web.Application(middlewares=http_api.MIDDLEWARES, client_max_size=256 * 1024)
    sio = make_sio(config)
    sio.attach(app)
    app[SIO] = sio
    app.router.add_routes(http_api.routes)
    app.router.add_routes(handouts_api.routes)
    app.router.add_routes(clips_api.routes)
    pages.setup(app)
    review_api.setup(app)
    root = CompositionRoot(config, scripts, sio, metrics.setup(app))
    app.cleanup_ctx.extend(
        [
            root.socket_manager,
            root.database,
            root.coordination,
            root.media,
            root.live_channel,
            root.draining,
        ]
    )
    app[http_api.DIALLING] = set()
    app.on_shutdown.append(_disconnect_clients)
    app.on_shutdown.append(http_api.stop_dialling)
    return app


class CompositionRoot:
    """Builds the process's parts in order, one ``cleanup_ctx`` each, closed in reverse.

    A failure while starting one part closes every part started before it (aiohttp
    unwinds the contexts that had yielded), so no database, Redis or SFU is leaked.
    Shutdown order: refuse joins and close sockets (``on_shutdown``), record the
    closes still being handled, close media rooms, presence, then storage.
    """

    def __init__(
        self,
        config: Config,
        scripts: ScriptLibrary | None,
        sio: socketio.AsyncServer,
        telemetry: metrics.PrometheusTelemetry,
    ) -> None:
        self.config = config
        self.given_scripts = scripts
        self.sio = sio
        self.telemetry = telemetry
        self.db: Database | None = None
        self.coord: Coordination | None = None
        self.bridge: MediaBridge | None = None
        self.sfu: MediaBackend | None = None
        self.captioner: Captioner | None = None
        self.live_socket: LiveSocket | None = None

    async def database(self, _app: web.Application) -> AsyncIterator[None]:
        """The SQL store (SQLite file or PostgreSQL)."""
        self.db = await open_database(
            self.config.database_url,
            self.config.data_dir,
            log_settings=LogSettings.from_config(self.config),
        )
        try:
            yield
        finally:
            await self.db.close()

    async def coordination(self, _app: web.Application) -> AsyncIterator[None]:
        """Presence and per-session locks: in memory, or through Redis for several nodes."""
        coord: Coordination
        if self.config.redis_url:
            redis = RedisCoordination(self.config.redis_url, self.config.redis_prefix)
            await redis.start()
            coord = redis
        else:
            coord = MemoryCoordination()
        self.coord = coord
        try:
            yield
        finally:
            await coord.close()

    async def media(self, _app: web.Application) -> AsyncIterator[None]:
        """The SFU in this process, or SFU workers over Redis (nothing when media is off)."""
        if not self.config.sfu:
            yield
            return
        bridge = self.bridge = MediaBridge(self.sio, self.config.media_call_limit_s)
        engine = load_engine(self.config.captions_engine)
        self.captioner = None if engine is None else Captioner(engine)
        self.sfu = await _start_sfu(self.config, bridge, self.telemetry, self.captioner)
        bridge.attach(self.sfu)
        try:
            yield
        finally:
            await self.sfu.close()
            if self.captioner is not None:
                await self.captioner.close()

    async def live_channel(self, app: web.Application) -> AsyncIterator[None]:
        """Sessions, join links, the live channel and its Socket.IO edge."""
        config, db, coord = self.config, self.db, self.coord
        assert db is not None and coord is not None  # started by the contexts before this
        scripts = self.given_scripts or _load_scripts(config)
        turn = turn_credentials(config.turn_urls, config.turn_secret, config.turn_ttl_s)
        sessions, session_log = Sessions(db), SessionLog(db)
        links = JoinLinks(db, config.secret_key.encode())
        recorder = SessionRecorder(
            session_log,
            sessions,
            links,
            SocketFanout(self.sio, coord),
            coord,
            scripts,
            self.telemetry,
            media=self.bridge,
            ice_servers_for=None if turn is None else _ice_servers(turn),
        )
        channel = LiveChannel(recorder, ClipLibrary(config.data_dir / "clips", config.clips_dir))
        if self.captioner is not None:
            self.captioner.deliver = channel.captions.deliver
        coord.on_lost = channel.connection_lost
        # Throttles count in Redis when nodes share it, so their limits hold across nodes.
        shared = coord if isinstance(coord, RedisCoordination) else None
        accounts = Accounts(db, LoginThrottle(shared=shared))
        services = Services(
            config, db, accounts, sessions, links, session_log, channel, scripts, self.sfu
        )
        app[SERVICES] = services
        self.live_socket = LiveSocket(self.sio, services, self.telemetry, shared)
        self.telemetry.known_events.update(events.COMMANDS)
        recovered = await channel.recover()
        log.info("ready: %d people marked dropped after restart", recovered)
        retention = SafetyRetention(
            db, config.safety_retention_days, config.safety_purge_interval_s
        )
        retention.start()
        try:
            yield
        finally:
            services.accepting = False
            await retention.close()

    async def socket_manager(self, _app: web.Application) -> AsyncIterator[None]:
        """Last to close: Socket.IO's Redis connections (other parts emit until then)."""
        yield
        manager = self.sio.manager
        if isinstance(manager, ClosingRedisManager):
            await manager.aclose()

    async def draining(self, _app: web.Application) -> AsyncIterator[None]:
        """First to close: wait until closes being handled are in the log."""
        yield
        if self.live_socket is not None:
            await self.live_socket.drain()


def _ice_servers(turn: TurnCredentials) -> IceServersFor:
    """TURN credentials as the welcome carries them."""
    return lambda pid: [events.IceServer.model_validate(d) for d in turn.ice_servers(pid)]


async def _start_sfu(
    config: Config,
    bridge: MediaBridge,
    telemetry: metrics.PrometheusTelemetry,
    captioner: Captioner | None = None,
) -> MediaBackend:
    """The SFU in this process, or a client of SFU workers over Redis; /metrics sees it.
    Captions need the SFU in this process (workers refuse them: captions_unavailable)."""
    if not config.sfu_workers:
        hook = None if captioner is None else captioner.listener_for
        local = SfuService(config.sfu_config(), bridge.emit, hook)
        telemetry.media.stats = local.stats
        return local
    if not config.redis_url:
        raise ConfigError("SFU workers need REDIS_URL")
    remote = RemoteSfu(config.redis_url, config.redis_prefix)
    remote.on_move = lambda move: bridge.room_moved(move.room)
    await remote.start()
    telemetry.workers.source = remote.placement.workers
    return remote


async def _disconnect_clients(app: web.Application) -> None:
    """First step of shutdown: refuse new connections and close the live ones.

    Runs in ``on_shutdown``, before aiohttp waits for open handlers, so open
    websockets end now instead of holding shutdown for its whole timeout.
    """
    if SERVICES in app:
        app[SERVICES].accepting = False
    try:
        await asyncio.wait_for(app[SIO].shutdown(), 10)
    except TimeoutError:
        log.warning("Socket.IO shutdown timed out")


def _load_scripts(config: Config) -> ScriptLibrary:
    from imr_live.edges.scripts_adapter import load_library

    return load_library(config.scripts_dir)
