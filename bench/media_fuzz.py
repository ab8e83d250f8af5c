"""Mutated media datagrams at a live room's SFU ports, then a keyframe-request flood.

Three aiortc participants (in-process SfuService, loopback) publish and watch each
other. First a quiet spell measures the frames each one decodes of each other one;
then ``--datagrams`` mutated RTP, RTCP, STUN and DTLS datagrams (and replays, bit
flips, runts and noise) go to every port the SFU offered as an ICE candidate, from
the victim's own 5-tuple, its address on other ports and other loopback addresses
(see tests/sfu/test_media_fuzz.py for how each is sent). Printed: datagrams by kind
and source, the rate reached, transports torn down, error records logged, and the
slowest viewer/publisher pair's decoded frame rate during the fuzz against the quiet
spell. Last, two subscribers flood PLIs and FIRs for ``--flood-s`` and the table
gives how many keyframe requests reached the publisher and their smallest gap.

    PYTHONPATH=. .venv/bin/python bench/media_fuzz.py [--datagrams 1000000] [--rate 1000]

Keep ``--rate`` within what the process absorbs: the SFU, three VP8 encoders and
decoders and the fuzzer share one event loop here. aioice 0.13's own consent
checks allow one try answered within 0.5 s, six misses in a row close the
connection; a flood at a port puts the answers behind it in the socket's queue
(the loop reads one datagram per socket per turn), so they are read late and
transports were torn down (10 of 12 at 10^6 datagrams). The SFU replaces those
checks (sfu/aiortc_internals/ice.py: retransmitted, expiry after 30 s without an
answer); ``--aioice-consent`` runs with aioice's own, for comparison.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import resource
import tempfile
import time
from pathlib import Path

from sfu import SfuConfig
from sfu.aiortc_internals.ice import patch_consent_freshness
from tests.sfu.conftest import Harness, Peer
from tests.sfu.test_media_fuzz import (
    KINDS,
    LoopErrors,
    UpstreamKeyframeRequests,
    client_pcs,
    dtls_states,
    flood_keyframe_requests,
    frames_seen,
    fuzz,
    room_of_three,
    sfu_pcs,
)

SOURCES = ("exact", "same_ip", "other_ip")


def udp_receive_buffer_errors() -> int:
    """Datagrams the kernel dropped because a UDP socket's receive buffer was full."""
    rows = [line.split() for line in Path("/proc/net/snmp").read_text().splitlines()]
    names, values = [r for r in rows if r[0] == "Udp:"][:2]
    return int(values[names.index("RcvbufErrors")])


def cpu_s() -> float:
    """This process's CPU time so far (the SFU, the peers and the fuzzer share it)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def decode_rates(peers: list[Peer], seconds: float) -> dict[tuple[str, str], float]:
    """Frames per second each viewer decodes of each publisher over ``seconds``."""
    before = frames_seen(peers)
    await asyncio.sleep(seconds)
    after = frames_seen(peers)
    return {pair: (after[pair] - before[pair]) / seconds for pair in after}


async def run(
    datagrams: int, rate: float, quiet_s: float, flood_s: float, aioice_consent: bool
) -> None:
    """Measure and print."""
    with tempfile.TemporaryDirectory() as tmp:
        defaults = SfuConfig()
        harness = Harness(
            Path(tmp),
            keyframe_window_s=defaults.keyframe_window_s,
            keyframe_retry_s=defaults.keyframe_retry_s,
        )
        if aioice_consent:
            patch_consent_freshness(False)
        print(f"consent checks: {'aioice 0.13' if aioice_consent else 'the SFU own (RFC 7675)'}")
        try:
            peers = await room_of_three(harness)
            pcs = [*sfu_pcs(harness), *(pc for p in peers for pc in client_pcs(p))]
            healthy = dtls_states(pcs)
            quiet = await decode_rates(peers, quiet_s)
            errors = LoopErrors()
            logging.getLogger().addHandler(errors)
            cpu0, drops0 = cpu_s(), udp_receive_buffer_errors()
            step = max(datagrams // 10, 1)

            def progress(n: int) -> None:
                if n % step < 100:
                    print(f"  {min(n, datagrams):>9,} sent", flush=True)

            try:
                result = await fuzz(harness, peers, datagrams, per_second=rate, progress=progress)
            finally:
                logging.getLogger().removeHandler(errors)
            cpu, drops = cpu_s() - cpu0, udp_receive_buffer_errors() - drops0
            after = await decode_rates(peers, quiet_s)
            states = dtls_states(pcs)
            ann, bob, cat = peers
            assert ann.pub_pc is not None
            upstream = UpstreamKeyframeRequests(ann.pub_pc)
            started = time.monotonic()
            flood = await asyncio.gather(
                flood_keyframe_requests(bob, ann, flood_s),
                flood_keyframe_requests(cat, ann, flood_s),
            )
            ended = time.monotonic()
            reached = upstream.between(started, ended + defaults.keyframe_window_s)
        finally:
            await harness.close()

    sent = result.sent
    print("\n| kind | datagrams |\n|---|---|")
    for kind in KINDS:
        print(f"| {kind} | {sent[kind]:,} |")
    print("\n| source | datagrams |\n|---|---|")
    for source in SOURCES:
        print(f"| {source} | {sent[source]:,} |")
    during = {
        pair: (result.frames_after[pair] - result.frames_before[pair]) / result.seconds
        for pair in result.frames_after
    }
    worst = min(during, key=lambda pair: during[pair] / max(quiet[pair], 0.1))
    torn = sum(healthy.values()) - states["connected"]
    tracebacks = [r for r in errors.records if r.exc_info or "Traceback" in r.getMessage()]
    print(
        f"\n{sum(sent[k] for k in KINDS):,} datagrams in {result.seconds:.1f} s "
        f"({sum(sent[k] for k in KINDS) / result.seconds:,.0f}/s), CPU {cpu:.1f} s "
        f"({cpu / max(sum(sent[k] for k in KINDS), 1) * 1e6:.1f} µs per datagram, all parties)"
    )
    print(f"transports torn down: {torn} of {sum(healthy.values())} (states {dict(states)})")
    print(f"datagrams the kernel dropped for full UDP receive buffers (host-wide): {drops:,}")
    print(f"error records logged: {len(errors.records)} ({len(tracebacks)} with a traceback)")
    print(
        f"slowest pair {worst[0]}<-{worst[1]}: {during[worst]:.1f} fps during the fuzz, "
        f"{quiet[worst]:.1f} quiet, {after[worst]:.1f} after "
        f"(ratio during/quiet {during[worst] / max(quiet[worst], 0.1):.2f})"
    )
    gaps = [b - a for a, b in itertools.pairwise(reached)]
    print(
        f"keyframe flood: {sum(flood):,} PLI+FIR in {flood_s:.0f} s from 2 subscribers -> "
        f"{len(reached)} requests reached the publisher, smallest gap "
        f"{min(gaps, default=float('nan')):.3f} s"
    )
    if torn:
        raise SystemExit(1)


def main() -> None:
    """Parse flags and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datagrams", type=int, default=1_000_000)
    parser.add_argument("--rate", type=float, default=1000, help="datagrams per second")
    parser.add_argument("--quiet-s", type=float, default=5.0)
    parser.add_argument("--flood-s", type=float, default=5.0)
    parser.add_argument(
        "--aioice-consent", action="store_true", help="aioice's own consent checks (comparison)"
    )
    args = parser.parse_args()
    asyncio.run(run(args.datagrams, args.rate, args.quiet_s, args.flood_s, args.aioice_consent))


if __name__ == "__main__":
    main()
