"""The aiohttp application: services set up and torn down in order via cleanup_ctx."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable

import socketio
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from imr_live.config import Config, finalize
from imr_live.domain.accounts import Accounts
from imr_live.domain.coordination import Coordination, MemoryCoordination
from imr_live.domain.join_links import JoinLinks
from imr_live.domain.live_channel import LiveChannel
from imr_live.domain.scripts import ScriptLibrary
from imr_live.domain.sessions import Sessions
from imr_live.domain.turn import turn_credentials
from imr_live.edges import http_api, metrics, pages, review_api
from imr_live.edges.keys import SERVICES, SIO
from imr_live.edges.live_socket import LiveSocket, SocketFanout
from imr_live.edges.media import MediaBridge
from imr_live.errors import ConfigError
from imr_live.media.rpc import RemoteSfu
from imr_live.services import Services
from imr_live.store.database import open_database
from imr_live.store.redis_coordination import RedisCoordination
from imr_live.store.session_log import SessionLog
from sfu.config import SfuConfig
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
        manager = socketio.AsyncRedisManager(
            config.redis_url, channel=f"{config.redis_prefix}socketio"
        )
    return socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        cors_allowed_origins=list(config.cors_origins) or None,
        max_http_buffer_size=1_000_000,
        ping_interval=10,
        ping_timeout=10,
        logger=False,
        engineio_logger=False,
    )


def create_app(config: Config, scripts: ScriptLibrary | None = None) -> web.Application:
    """Build the application; services start in ``cleanup_ctx`` when it runs.

    ``scripts`` replaces the session scripts loaded from ``config.scripts_dir``.
    """
    config = finalize(config)
    app = web.Application(middlewares=[http_api.errors_middleware], client_max_size=256 * 1024)
    sio = make_sio(config)
    sio.attach(app)
    app[SIO] = sio
    app.router.add_routes(http_api.routes)
    pages.setup(app)
    review_api.setup(app)
    metrics.setup(app)
    app.cleanup_ctx.append(_services_ctx(config, scripts))
    app.on_shutdown.append(_disconnect_clients)
    return app


def _services_ctx(
    config: Config, given: ScriptLibrary | None
) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        sio = app[SIO]
        scripts = given or _load_scripts(config)
        turn = turn_credentials(config.turn_urls, config.turn_secret, config.turn_ttl_s)
        db = await open_database(config.database_url, config.data_dir)
        sessions = Sessions(db)
        links = JoinLinks(db, config.secret_key.encode())
        session_log = SessionLog(db)
        coord = await _coordination(config)
        channel = LiveChannel(
            session_log, sessions, links, SocketFanout(sio, coord), scripts, coordination=coord
        )
        coord.on_lost = channel.connection_lost
        services = Services(
            config, db, Accounts(db), sessions, links, session_log, channel, scripts
        )
        app[SERVICES] = services
        live_socket = LiveSocket(sio, services)
        sfu = await _start_sfu(config, sio, services, live_socket)
        _observe(app[metrics.METRICS], live_socket, services)
        if turn is not None:
            channel.ice_servers_for = turn.ice_servers
        recovered = await channel.recover()
        log.info("ready: %d people marked dropped after restart", recovered)
        try:
            yield
        finally:
            await _shutdown(services, sio, sfu)

    return ctx


async def _coordination(config: Config) -> Coordination:
    """In memory for one process; through Redis when web nodes share sessions."""
    if not config.redis_url:
        return MemoryCoordination()
    coord = RedisCoordination(config.redis_url, config.redis_prefix)
    await coord.start()
    return coord


async def _start_sfu(
    config: Config, sio: socketio.AsyncServer, services: Services, live_socket: LiveSocket
) -> SfuService | RemoteSfu | None:
    """The SFU in this process, or SFU workers over Redis (None when media is off)."""
    if not config.sfu:
        return None
    bridge = MediaBridge(sio, services)
    sfu: SfuService | RemoteSfu
    if config.sfu_workers:
        if not config.redis_url:
            raise ConfigError("SFU workers need REDIS_URL")
        sfu = RemoteSfu(config.redis_url, config.redis_prefix)
        sfu.on_move = lambda move: bridge.room_moved(move.room)
        await sfu.start()
    else:
        sfu_config = SfuConfig(
            ice_host_addresses=config.ice_hosts, recordings_dir=config.recordings_dir
        )
        sfu = SfuService(sfu_config, bridge.emit)
    bridge.attach(sfu, live_socket)
    services.sfu = sfu
    return sfu


def _observe(
    telemetry: metrics.PrometheusTelemetry, live_socket: LiveSocket, services: Services
) -> None:
    """Report connections, event and log-append latency and media counts at /metrics."""
    telemetry.known_events.update(["join", *services.channel.actions, *live_socket.extra_events])
    live_socket.telemetry = services.channel.telemetry = telemetry
    if isinstance(services.sfu, RemoteSfu):
        telemetry.workers.source = services.sfu.placement.workers
    elif services.sfu is not None:
        telemetry.media.stats = services.sfu.stats


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


async def _shutdown(
    services: Services, sio: socketio.AsyncServer, sfu: SfuService | RemoteSfu | None
) -> None:
    """After clients are gone: close media rooms, presence, then storage."""
    services.accepting = False
    if sfu is not None:
        await sfu.close()
    await services.channel.coord.close()
    await services.db.close()


def _load_scripts(config: Config) -> ScriptLibrary:
    from imr_live.edges.scripts_adapter import load_library

    return load_library(config.scripts_dir)
