"""Prometheus metrics at ``GET /metrics``: the one module that knows prometheus_client.

Each app has its own ``CollectorRegistry`` (tests run several apps in one
process). Counts of media rooms and forwarded packets are read from the
in-process SFU's ``stats()`` at scrape time, or, with SFU workers, from the
loads they last reported in Redis; the rest comes through ``Telemetry`` calls.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from redis.exceptions import RedisError

from imr_live.edges.keys import SERVICES

log = logging.getLogger("imr_live.metrics")
MediaStats = Callable[[], Mapping[str, Any] | None]
WorkerLoads = Callable[[], Awaitable[Mapping[str, Mapping[str, Any]]]]
_LOAD_KEY = re.compile(r"[a-z_][a-z0-9_]{0,40}")
EVENT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
APPEND_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
OTHER_EVENT = "other"
"""Label of events not named in ``known_events`` (a client must not create series at will)."""


class MediaCollector:
    """Reads the SFU's counters at scrape time; derives packets per second between scrapes."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.stats: MediaStats | None = None
        self._clock = clock
        self._last: tuple[float, int] | None = None
        self._forwarded_total = 0

    def collect(self) -> Iterator[Metric]:
        """Gauges of rooms, participants and peer connections; forwarded packets."""
        stats = self.stats() if self.stats is not None else None
        if stats is None:
            return
        for key, text in (
            ("rooms", "Media rooms open on this node"),
            ("participants", "Participants in this node's media rooms"),
            ("peer_connections", "WebRTC peer connections of this node's SFU"),
        ):
            if key in stats:
                yield GaugeMetricFamily(f"imr_media_{key}", text, value=stats[key])
        if "forwarded_packets" in stats:
            yield from self._packets(int(stats["forwarded_packets"]))

    def _packets(self, packets: int) -> Iterator[Metric]:
        now, rate = self._clock(), 0.0
        if self._last is not None:
            then, before = self._last
            # A closed room takes its count out of the sum: then the open rooms' whole
            # sum counts as new (an upper bound for that one interval).
            added = packets - before if packets >= before else packets
            self._forwarded_total += added
            if now > then:
                rate = added / (now - then)
        self._last = (now, packets)
        yield CounterMetricFamily(
            "imr_media_forwarded_packets",
            "RTP packets forwarded to subscribers (counted between scrapes)",
            value=self._forwarded_total,
        )
        yield GaugeMetricFamily(
            "imr_media_forwarded_packets_per_second",
            "RTP packets forwarded per second since the previous scrape",
            value=rate,
        )


class WorkerCollector:
    """The SFU workers' last reported loads, read from Redis just before each scrape."""

    def __init__(self) -> None:
        self.source: WorkerLoads | None = None
        self._loads: dict[str, Mapping[str, Any]] = {}

    async def refresh(self) -> None:
        """Read the loads (a Redis outage leaves the worker series out of this scrape)."""
        if self.source is None:
            return
        try:
            self._loads = dict(await asyncio.wait_for(self.source(), 2))
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("SFU worker loads unavailable: %s", type(exc).__name__)
            self._loads = {}

    def collect(self) -> Iterator[Metric]:
        """``imr_sfu_workers`` and one ``imr_sfu_worker_<key>{worker}`` per numeric load key."""
        if self.source is None:
            return
        yield GaugeMetricFamily("imr_sfu_workers", "Live SFU workers", value=len(self._loads))
        families: dict[str, GaugeMetricFamily] = {}
        for worker, load in sorted(self._loads.items()):
            for key, number in load.items():
                if not _LOAD_KEY.fullmatch(key) or not _is_number(number):
                    continue
                family = families.get(key)
                if family is None:
                    text = f"'{key}' as the SFU worker last reported it"
                    family = families[key] = GaugeMetricFamily(
                        f"imr_sfu_worker_{key}", text, labels=["worker"]
                    )
                family.add_metric([worker], number)
        yield from families.values()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class TaskCollector:
    """The asyncio tasks alive in this process's event loop, counted at scrape time."""

    def collect(self) -> Iterator[Metric]:
        """``imr_asyncio_tasks``: a count that climbs and never comes back down is a leak."""
        try:
            count = len(asyncio.all_tasks())
        except RuntimeError:  # scraped from outside a running loop (a test's registry read)
            return
        yield GaugeMetricFamily(
            "imr_asyncio_tasks", "asyncio tasks not yet done in the server's event loop", count
        )


class PrometheusTelemetry:
    """Implements ``imr_live.domain.telemetry.Telemetry`` with Prometheus metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.known_events: set[str] = set()
        """Event names that get their own label value; the rest count as ``other``."""
        self.media = MediaCollector()
        self.registry.register(self.media)
        self.workers = WorkerCollector()
        self.registry.register(self.workers)
        self.registry.register(TaskCollector())
        ProcessCollector(registry=self.registry)
        self._connections = Gauge(
            "imr_live_connections",
            "Authenticated live-channel connections",
            registry=self.registry,
        )
        self._events = Histogram(
            "imr_live_event_seconds",
            "Time from receiving a live event to acknowledging it",
            ["event", "outcome"],
            buckets=EVENT_BUCKETS,
            registry=self.registry,
        )
        self._appends = Histogram(
            "imr_log_append_seconds",
            "Time to append one event durably to the session log",
            buckets=APPEND_BUCKETS,
            registry=self.registry,
        )

    def connection_opened(self) -> None:
        """One more connection."""
        self._connections.inc()

    def connection_closed(self) -> None:
        """One connection fewer."""
        self._connections.dec()

    def event_acked(self, event: str, seconds: float, ok: bool) -> None:
        """Observe one event's receive-to-ack time."""
        name = event if event in self.known_events else OTHER_EVENT
        self._events.labels(name, "ok" if ok else "refused").observe(seconds)

    def log_appended(self, seconds: float) -> None:
        """Observe one durable append."""
        self._appends.observe(seconds)

    def render(self) -> bytes:
        """The registry in Prometheus text format."""
        return generate_latest(self.registry)


METRICS = web.AppKey("metrics", PrometheusTelemetry)


async def metrics_handler(request: web.Request) -> web.Response:
    """``GET /metrics``: Prometheus text format, for the configured bearer token.

    Without ``metrics_token`` only a scraper on this host may read it, and not through
    a proxy here (one that names a client in X-Forwarded-For or Forwarded).
    """
    token = request.app[SERVICES].config.metrics_token
    if token:
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, f"Bearer {token}".encode()):
            log.warning("/metrics refused: no valid bearer token from %s", request.remote)
            raise web.HTTPUnauthorized(
                text="a bearer token is needed\n", headers={"WWW-Authenticate": "Bearer"}
            )
    elif not _direct_from_loopback(request):
        log.warning("/metrics refused: not from loopback (%s) and no token set", request.remote)
        raise web.HTTPForbidden(text="set IMR_METRICS_TOKEN to scrape from elsewhere\n")
    telemetry = request.app[METRICS]
    await telemetry.workers.refresh()
    body = telemetry.render()
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_PLAIN_0_0_4})


def _direct_from_loopback(request: web.Request) -> bool:
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def setup(app: web.Application) -> PrometheusTelemetry:
    """Give ``app`` its own metrics and the ``/metrics`` route."""
    telemetry = app[METRICS] = PrometheusTelemetry()
    app.router.add_get("/metrics", metrics_handler)
    return telemetry
