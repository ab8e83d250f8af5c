"""The client join page on a slow rural link: bytes on the wire and time to interactive.

Headless Debian Chromium opens a real join link with the network throttled through
CDP ``Network.emulateNetworkConditions`` (default 160 kbit/s both ways, 300 ms
latency, cache cold: a new browser context per load). Two servers run in this
process, started the same way: one serves the built bundles (web/static/dist, as
shipped), the other the source modules and style sheet unbundled and uncompressed
(how the pages were served before the build). For each we print the medians of:
bytes on the wire (encoded, every response until ``load``), time to
DOMContentLoaded (module scripts have run then, so the name form answers: the
page is interactive), to ``load``, and until every file is in ("all in": the
room's code, which the page imports in the background after its first screen),
and the ratio bundled / unbundled. A second
load in the same context shows what a returning person downloads.

    .venv/bin/python bench/join_page_load.py --runs 3
    .venv/bin/python bench/join_page_load.py --runs 1 --kbit 400 --latency-ms 150
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web
from playwright.async_api import Browser, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from imr_live.config import Config
from imr_live.edges.app import create_app
from imr_live.edges.pages import ASSETS, Assets
from tests.conftest import free_port
from tests.live.harness import Server
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS


@dataclass
class Load:
    """One page load: what crossed the wire and when the page was usable."""

    wire_bytes: int
    requests: int
    dcl_ms: float
    load_ms: float
    all_ms: float
    """Until the last file arrived: the room's code, which the page imports after its
    first screen is usable, is in then (needed only when the person joins)."""
    encodings: set[str]


async def start(tmp: Path, bundled: bool) -> Server:
    """A server like the shipped one; ``bundled=False`` serves the source modules."""
    port = free_port()
    config = Config(
        port=port,
        data_dir=tmp / f"data-{port}",
        secret_key="bench-secret-" + "x" * 32,
        sfu=False,
    )
    app = create_app(config)
    if not bundled:
        app[ASSETS] = Assets()
    elif not app[ASSETS].built:
        raise SystemExit("no web bundle: run `make setup` (node web/build.mjs) first")
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return Server(f"http://127.0.0.1:{port}", app, runner)


async def join_url(server: Server) -> str:
    staff = await server.staff("dana")
    session = await staff.create_session(title="Tuesday group")
    return f"{server.url}/join/{await staff.invite(session['id'])}"


async def load_twice(browser: Browser, url: str, kbit: float, latency_ms: float) -> list[Load]:
    """A first (cold cache) and a second load of ``url`` in one fresh, throttled context."""
    context = await browser.new_context()
    page = await context.new_page()
    cdp = await context.new_cdp_session(page)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    await cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": kbit * 1000 / 8,
            "uploadThroughput": kbit * 1000 / 8,
        },
    )
    sizes: dict[str, float] = {}
    encodings: set[str] = set()

    def finished(event: dict[str, Any]) -> None:
        sizes[event["requestId"]] = event["encodedDataLength"]

    def received(event: dict[str, Any]) -> None:
        headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
        encodings.add(headers.get("content-encoding", "identity"))

    cdp.on("Network.loadingFinished", finished)
    cdp.on("Network.responseReceived", received)
    loads = []
    try:
        for _ in range(2):
            sizes.clear()
            encodings.clear()
            await page.goto(url, wait_until="load", timeout=120_000)
            await page.wait_for_load_state("networkidle", timeout=120_000)
            timing = await page.evaluate(
                "(() => { const t = performance.getEntriesByType('navigation')[0];"
                " const ends = performance.getEntriesByType('resource').map(r => r.responseEnd);"
                " return [t.domContentLoadedEventEnd, t.loadEventEnd,"
                " Math.max(t.loadEventEnd, ...ends)]; })()"
            )
            await asyncio.sleep(0.2)  # the last loadingFinished events arrive after load
            loads.append(
                Load(
                    int(sum(sizes.values())),
                    len(sizes),
                    timing[0],
                    timing[1],
                    timing[2],
                    set(encodings),
                )
            )
    finally:
        await context.close()
    return loads


def row(label: str, loads: list[Load]) -> tuple[float, float, float]:
    wire = statistics.median(x.wire_bytes for x in loads)
    dcl = statistics.median(x.dcl_ms for x in loads)
    done = statistics.median(x.load_ms for x in loads)
    every = statistics.median(x.all_ms for x in loads)
    count = statistics.median(x.requests for x in loads)
    kinds = ",".join(sorted(set().union(*(x.encodings for x in loads))))
    print(
        f"{label:<22} {wire / 1000:8.1f} KB {count:5.0f} req  "
        f"DCL {dcl / 1000:6.2f} s  load {done / 1000:6.2f} s  "
        f"all in {every / 1000:6.2f} s  ({kinds})"
    )
    return wire, dcl, done


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="cold loads per variant")
    parser.add_argument("--kbit", type=float, default=160, help="throughput, kbit/s each way")
    parser.add_argument("--latency-ms", type=float, default=300, help="added latency per request")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        servers = {
            "bundled": await start(Path(tmp), True),
            "unbundled": await start(Path(tmp), False),
        }
        try:
            urls = {name: await join_url(server) for name, server in servers.items()}
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                first: dict[str, list[Load]] = {name: [] for name in servers}
                again: dict[str, list[Load]] = {name: [] for name in servers}
                for _ in range(args.runs):
                    for name, url in urls.items():
                        cold, warm = await load_twice(browser, url, args.kbit, args.latency_ms)
                        first[name].append(cold)
                        again[name].append(warm)
                await browser.close()
        finally:
            for server in servers.values():
                await server.stop()
    print(
        f"join page, {args.kbit:g} kbit/s, {args.latency_ms:g} ms latency, "
        f"medians of {args.runs} cold loads each"
    )
    base = row("unbundled (before)", first["unbundled"])
    new = row("bundled", first["bundled"])
    row("unbundled, 2nd visit", again["unbundled"])
    row("bundled, 2nd visit", again["bundled"])
    print(
        f"bundled / unbundled: bytes {new[0] / base[0]:.2f}, "
        f"DOMContentLoaded {new[1] / base[1]:.2f}, load {new[2] / base[2]:.2f}"
    )


if __name__ == "__main__":
    asyncio.run(main())
