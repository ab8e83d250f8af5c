"""Time from admission to the first decoded remote video frame, in Chromium.

N guests join through the real join page (name, check, consent, waiting room) in
separate browser contexts of one headless Debian Chromium; a leader (a Socket.IO
client without media) lets them all in at once. Each page records, with
``requestVideoFrameCallback``, when each remote tile shows its first frame. Per page
and run we take: admission -> first frame of anyone (``first``), and admission -> a
frame from every other guest (``all``). Prints median and p90 over all pages and runs.

The server (with the in-process SFU) runs in this process, as the tests run it.

    .venv/bin/python bench/web_first_frame.py --people 2,4 --runs 5
    .venv/bin/python bench/web_first_frame.py --people 2 --runs 3 --canvas   # 320x240 colour canvases
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import socketio
from playwright.async_api import Browser, Page, async_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.chromium import AUTOPLAY, CHROMIUM, CHROMIUM_ARGS
from tests.live.harness import LiveClient, Server, Staff, start_server
from tests.web.people import client_waits, new_page
from tests.web.test_media import COLOURS, FAKE_DEVICES

LIMIT_S = 60.0
# Wall-clock time (ms) of each remote tile's first presented frame, by participant id.
FIRST_FRAMES = """
(() => {
  const seen = (window.__firstFrames = {});
  const watch = (node) => {
    const tiles = node.matches?.("[data-participant]") ? [node] : [...(node.querySelectorAll?.("[data-participant]") || [])];
    for (const tile of tiles) {
      const video = tile.querySelector("video");
      const pid = tile.dataset.participant;
      if (video && !(pid in seen)) video.requestVideoFrameCallback(() => { seen[pid] ??= Date.now(); });
    }
  };
  new MutationObserver((changes) => changes.forEach((c) => c.addedNodes.forEach(watch)))
    .observe(document, { childList: true, subtree: true });
})();
"""


async def guest_page(browser: Browser, server: Server, index: int, canvas: bool) -> Page:
    page = await new_page(browser, server)
    await page.add_init_script(FIRST_FRAMES)
    if canvas:
        rgb = ",".join(map(str, list(COLOURS.values())[index % len(COLOURS)]))
        await page.add_init_script(f"({FAKE_DEVICES})({{rgb: '{rgb}', gain: 0}})")
    return page


async def waiting_ids(leader: LiveClient, count: int) -> list[str]:
    """Ids of the guests in the waiting room, in arrival order."""
    deadline = time.monotonic() + LIMIT_S
    while True:
        joined = leader.events("participant.joined")
        ids = [e["data"]["participant"] for e in joined if e["data"].get("waiting")]
        if len(ids) >= count:
            return ids[:count]
        if time.monotonic() > deadline:
            raise RuntimeError("guests did not reach the waiting room")
        await asyncio.sleep(0.05)


async def one_run(
    browser: Browser, server: Server, staff: Staff, people: int, canvas: bool
) -> list[tuple[float, float]]:
    """(first, all) in ms for every guest page of one session."""
    sid = (await staff.create_session(title=f"Bench {people}"))["id"]
    leader = await staff.connect(sid)
    await leader.ok("join")
    pages = [await guest_page(browser, server, i, canvas) for i in range(people)]
    try:
        for i, page in enumerate(pages):
            await client_waits(page, f"{server.url}/join/{await staff.invite(sid)}", f"Guest {i}")
        ids = await waiting_ids(leader, people)
        admitted_at: dict[str, float] = {}
        for pid in ids:
            admitted_at[pid] = time.time() * 1000
            await leader.ok("waiting.admit", {"participant": pid})
        return await first_frames(pages, ids, admitted_at)
    finally:
        await end_session(leader)
        for page in pages:
            await page.context.close()


async def end_session(leader: LiveClient) -> None:
    """End the session (closing its media room); say so when that is slow."""
    started = time.monotonic()
    try:
        await leader.ok("session.end", {})
    except socketio.exceptions.TimeoutError:
        print("warning: session.end had no answer within 10 s", file=sys.stderr)
    took = time.monotonic() - started
    if took > 1:
        print(f"warning: session.end took {took:.1f} s", file=sys.stderr)


async def first_frames(
    pages: list[Page], ids: list[str], admitted_at: dict[str, float]
) -> list[tuple[float, float]]:
    """Wait until every page has a frame from every other guest; measure from its admission."""
    deadline = time.monotonic() + LIMIT_S
    results = []
    for page, pid in zip(pages, ids, strict=True):
        while True:
            seen: dict[str, float] = await page.evaluate("window.__firstFrames")
            others = [seen[o] for o in ids if o != pid and o in seen]
            if len(others) == len(ids) - 1:
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"no frames from everyone on {pid}'s page: {seen}")
            await asyncio.sleep(0.1)
        results.append((min(others) - admitted_at[pid], max(others) - admitted_at[pid]))
    return results


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


async def main(people_counts: list[int], runs: int, canvas: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_server(Path(tmp), sfu=True)
        try:
            staff = await server.staff("bench")
            async with async_playwright() as pw:
                args = [*CHROMIUM_ARGS, AUTOPLAY]
                browser = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
                try:
                    rows = []
                    for people in people_counts:
                        samples: list[tuple[float, float]] = []
                        for _ in range(runs):
                            samples += await one_run(browser, server, staff, people, canvas)
                        rows.append((people, samples))
                finally:
                    await browser.close()
        finally:
            await server.stop()
    camera = "320x240 canvas, 15 fps" if canvas else "Chromium fake camera (640x360 asked, 15 fps)"
    print(f"admission -> first decoded remote frame, {runs} runs, {camera}")
    print("| people | pages x runs | first p50 ms | first p90 ms | all p50 ms | all p90 ms |")
    print("|---|---|---|---|---|---|")
    for people, samples in rows:
        first = [s[0] for s in samples]
        every = [s[1] for s in samples]
        print(
            f"| {people} | {len(samples)} | {statistics.median(first):.0f} | {p90(first):.0f}"
            f" | {statistics.median(every):.0f} | {p90(every):.0f} |"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", default="2,4", help="comma-separated guest counts")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--canvas", action="store_true", help="publish 320x240 colour canvases")
    opts = parser.parse_args()
    asyncio.run(main([int(n) for n in opts.people.split(",")], opts.runs, opts.canvas))
