"""Weak-link bench over the impaired-network test bed: what a subscriber gets per link.

  sudo .venv/bin/python bench/netem_bench.py                 # 2000/600/300/150/80 kbit/s x 0/3/10 % loss
  sudo .venv/bin/python bench/netem_bench.py --quick         # 2000/300/80 kbit/s, 0 % loss, short windows
  sudo .venv/bin/python bench/netem_bench.py --quick --links 150 --losses 0.05,0.2
  sudo .venv/bin/python bench/netem_bench.py --recovery 3     # 2 Mbit/s -> 250 kbit/s -> back, 3 runs
  sudo .venv/bin/python bench/netem_bench.py --browser ...    # the subscriber is Chromium
  sudo .venv/bin/python bench/netem_bench.py --browser --layer-trials both --links 600 --losses 0

One aiortc publisher sends three simulcast layers (160x90 100k, 320x180
300k, 640x360 800k, VP8) and 32 kbit/s Opus; one subscriber sits behind a
`tbf` cap and the shim's random loss on its downlink (both in a network
namespace; the SFU runs in this process). After a settling time the bench
prints, per link: decoded video fps, the most frequent resolution, freezes
(gaps over 300 ms between decoded frames) per minute, audio packets arriving
per second (of 50) and audio frames the subscriber decoded per second.

`--browser`: the subscriber is headless Chromium (tests/netem/browser_peer.py)
instead of aiortc, whose jitter buffer stalls for many seconds at a hole and
never asks for a keyframe: what a browser user sees. Frames are those it
presents (`requestVideoFrameCallback`), audio frames are 20 ms of decoded,
not concealed, samples; the keyframe requests (PLI, FIR) and NACKs Chromium
sent are printed too.

`--recovery N`: the subscriber's link drops from 2 Mbit/s to 250 kbit/s and
back, N times; per run the seconds from the drop to the first low-layer frame
(down), from the recovery to the first top-layer frame (up) and the longest
gap between decoded frames over both; then the medians. With `--browser`,
also Chromium's PLI/FIR/NACK counts and its own freeze and pause counts
(inbound-rtp `freezeCount`, `pauseCount`) from the drop to the end.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.netem.impaired import ImpairedPeer, Testbed
from tests.netem.namespace import can_make_namespaces
from tests.netem.shim import Impairment

LAYERS = [(160, 90, 100_000), (320, 180, 300_000), (640, 360, 800_000)]
LOW, TOP = (160, 90), (640, 360)


async def first_frame(peer: ImpairedPeer, size: tuple[int, int], since: float) -> float:
    """Seconds from `since` to `peer`'s first decoded frame of `size` (from ann; 60 s at most)."""
    for _ in range(240):
        await peer.collect()
        times = [t for t, w, h in peer.video.get("ann", []) if t >= since and (w, h) == size]
        if times:
            return times[0] - since
        await asyncio.sleep(0.25)
    return float("inf")


VIDEO_COUNTERS = {
    "pli": "pliCount",
    "fir": "firCount",
    "nack": "nackCount",
    "freezes": "freezeCount",
    "freeze_s": "totalFreezesDuration",
    "pauses": "pauseCount",
    "pause_s": "totalPausesDuration",
}
"""Chromium's inbound-rtp video counters the bench prints (our name: theirs)."""


async def video_counters(peer: ImpairedPeer, browser: bool) -> dict[str, float]:
    """Chromium's video receive counters summed over its video m-lines (none for aiortc)."""
    if not browser:
        return {}
    rows = (await peer.call("rtc_stats")).values()
    return {
        name: sum(row.get(key, 0) for row in rows if row["kind"] == "video")
        for name, key in VIDEO_COUNTERS.items()
    }


async def recovery(browser: bool, **settings: object) -> dict[str, float]:
    """One drop from 2 Mbit/s to 250 kbit/s and back: seconds down, up, longest gap."""
    with tempfile.TemporaryDirectory() as tmp:
        bed = Testbed(Path(tmp), 2, **settings)
        try:
            ann = await bed.peer("ann")
            cat = await bed.peer("cat", browser=browser)
            cat.limit(down_kbps=2000)
            await ann.publish(LAYERS)
            await first_frame(cat, TOP, time.monotonic())
            await asyncio.sleep(5)
            counters_before = await video_counters(cat, browser)
            dropped = time.monotonic()
            cat.limit(down_kbps=250)
            down = await first_frame(cat, LOW, dropped)
            await asyncio.sleep(10)
            recovered = time.monotonic()
            cat.limit(down_kbps=2000)
            up = await first_frame(cat, TOP, recovered)
            times = [t for t, _, _ in cat.video["ann"] if t >= dropped]
            gap = max((b - a for a, b in itertools.pairwise(times)), default=float("inf"))
            counters = await video_counters(cat, browser)
            audio_only = sum(not e["video"] for e in cat.events_of("media"))
            return {
                "down_s": down,
                "up_s": up,
                "longest_gap_s": gap,
                "audio_only_events": audio_only,
                **{k: v - counters_before[k] for k, v in counters.items()},
            }
        finally:
            await bed.close()


async def one_link(
    kbps: int, loss: float, settle_s: float, window_s: float, browser: bool, **settings: object
) -> dict[str, object]:
    """Measure one subscriber behind `kbps` with `loss` on its downlink (SFU `settings`)."""
    with tempfile.TemporaryDirectory() as tmp:
        bed = Testbed(Path(tmp), 2, **settings)
        try:
            ann = await bed.peer("ann")
            cat = await bed.peer("cat", browser=browser)
            cat.limit(down_kbps=kbps)
            await cat.impair(down=Impairment(loss=loss))
            await ann.publish(LAYERS)
            await asyncio.sleep(settle_s)
            await cat.collect()
            counters_before = await video_counters(cat, browser)
            start = time.monotonic()
            audio_before = cat.audio.get("ann", 0)
            rtp_before = dict(cat.shim[0]["down_rtp"]) if cat.shim else {}
            await asyncio.sleep(window_s)
            await cat.collect()
            counters = await video_counters(cat, browser)
            times = [t for t, _, _ in cat.video.get("ann", []) if t >= start]
            sizes = Counter(cat.sizes_from("ann", since=start))
            gaps = [b - a for a, b in itertools.pairwise([start, *times, start + window_s])]
            offer = cat.events_of("offer")[-1]["sdp"] if cat.events_of("offer") else ""
            opus = re.search(r"a=rtpmap:(\d+) opus/48000", offer, re.IGNORECASE)
            rtp_after = cat.shim[0]["down_rtp"] if cat.shim else {}
            opus_pt = opus.group(1) if opus else "?"
            audio_arrived = rtp_after.get(opus_pt, 0) - rtp_before.get(opus_pt, 0)
            return {
                "kbps": kbps,
                "loss": loss,
                "video_fps": round(len(times) / window_s, 1),
                "resolution": "x".join(map(str, sizes.most_common(1)[0][0])) if sizes else "-",
                "freezes_per_min": round(sum(g > 0.3 for g in gaps) * 60 / window_s, 1),
                "audio_pkts_per_s": round(audio_arrived / window_s, 1),
                "audio_decoded_per_s": round(
                    (cat.audio.get("ann", 0) - audio_before) / window_s, 1
                ),
                "audio_only_events": sum(not e["video"] for e in cat.events_of("media")),
                **{k: round(v - counters_before[k], 1) for k, v in counters.items()},
            }
        finally:
            await bed.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="3 links, no loss, short windows")
    parser.add_argument("--links", help="comma-separated kbit/s, e.g. 150")
    parser.add_argument("--losses", help="comma-separated loss shares, e.g. 0.05,0.2")
    parser.add_argument("--recovery", type=int, help="N runs of 2 Mbit/s -> 250 kbit/s -> back")
    parser.add_argument("--browser", action="store_true", help="the subscriber is Chromium")
    parser.add_argument(
        "--layer-trials",
        choices=("off", "on", "both"),
        default="off",
        help="steps up tried with padding first (SfuConfig.layer_trials); both: each cell twice",
    )
    args = parser.parse_args()
    if not can_make_namespaces():
        sys.exit("needs root and iproute2 (network namespaces)")
    if args.recovery:
        runs = []
        for _ in range(args.recovery):
            runs.append(await recovery(args.browser, layer_trials=args.layer_trials == "on"))
            print("  ".join(f"{k} {v:.2f}" for k, v in runs[-1].items()), flush=True)
        print(
            "median  "
            + "  ".join(f"{k} {statistics.median(r[k] for r in runs):.2f}" for k in runs[0])
        )
        return
    if args.quick:
        links, losses, settle_s, window_s = (2000, 300, 80), (0.0,), 15.0, 15.0
    else:
        links, losses, settle_s, window_s = (2000, 600, 300, 150, 80), (0.0, 0.03, 0.1), 20.0, 30.0
    if args.links:
        links = tuple(int(x) for x in args.links.split(","))
    if args.losses:
        losses = tuple(float(x) for x in args.losses.split(","))
    print(
        "kbit/s  loss  video fps  resolution  freezes/min  audio pkts/s  audio decoded/s  audio-only"
        + ("   pli  fir  nack  freezes  freeze s  pauses  pause s" if args.browser else "")
    )
    trials = {"off": (False,), "on": (True,), "both": (True, False)}[args.layer_trials]
    for (kbps, loss), on in itertools.product(itertools.product(links, losses), trials):
        r = await one_link(kbps, loss, settle_s, window_s, args.browser, layer_trials=on)
        extra = ""
        if args.browser:  # Chromium's own counters over the window
            extra = (
                f"  {r['pli']:>4}  {r['fir']:>3}  {r['nack']:>4}  {r['freezes']:>7}"
                f"  {r['freeze_s']:>8}  {r['pauses']:>6}  {r['pause_s']:>7}"
            )
        if args.layer_trials == "both":
            extra += "  trials on" if on else "  trials off"
        print(
            f"{r['kbps']:>6}  {r['loss']:>4.0%}  {r['video_fps']:>9}  {r['resolution']:>10}"
            f"  {r['freezes_per_min']:>11}  {r['audio_pkts_per_s']:>12}"
            f"  {r['audio_decoded_per_s']:>15}  {r['audio_only_events']:>10}{extra}",
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main())
