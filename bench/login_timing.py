"""How long a failed sign-in takes for a known name and for an unknown one.

A real server on loopback (SQLite); each round sends one wrong password for an
existing staff name and one for a made-up name, alternating which goes first. The
table gives the median and p90 of each and the unknown/known ratio: near 1.00 means
the response time does not tell which names exist.

    PYTHONPATH=. .venv/bin/python bench/login_timing.py [--rounds 40]

Rounds stay under the per-name limit by using a fresh known name every four rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from imr_live.domain.accounts import ACCOUNT_MAX_FAILURES, Accounts
from imr_live.domain.roles import StaffRole
from tests.live.harness import PASSWORD, start_server


async def timed_failure(http: aiohttp.ClientSession, username: str, address: str) -> float:
    """Milliseconds for one wrong-password sign-in (which must be refused with 401)."""
    started = time.perf_counter()
    body = {"username": username, "password": "wrong password"}
    async with http.post("/api/login", json=body, headers={"X-Forwarded-For": address}) as resp:
        await resp.read()
        assert resp.status == 401, resp.status
    return (time.perf_counter() - started) * 1000


async def run(rounds: int) -> None:
    """Measure and print the table."""
    with tempfile.TemporaryDirectory() as tmp:
        # A trusted loopback proxy lets each round come "from" its own address, so the
        # per-address limit does not end the run.
        server = await start_server(Path(tmp), trusted_proxies=("127.0.0.1",))
        try:
            accounts = Accounts(server.services.db)
            known: list[float] = []
            unknown: list[float] = []
            async with aiohttp.ClientSession(base_url=server.url) as http:
                name = ""
                for i in range(rounds):
                    if i % (ACCOUNT_MAX_FAILURES - 1) == 0:
                        name = f"staff{i}"
                        await accounts.add(name, PASSWORD, StaffRole.CLINICIAN)
                    address = f"10.{i // 250}.{i % 250}.1"
                    pair = [(name, known), (f"nobody{i}", unknown)]
                    for username, into in pair if i % 2 else reversed(pair):
                        into.append(await timed_failure(http, username, address))
        finally:
            await server.stop()
    print("| name | median ms | p90 ms | n |")
    print("|---|---|---|---|")
    for label, times in (("known", known), ("unknown", unknown)):
        p90 = statistics.quantiles(times, n=10)[-1]
        print(f"| {label} | {statistics.median(times):.1f} | {p90:.1f} | {len(times)} |")
    ratio = statistics.median(unknown) / statistics.median(known)
    print(f"unknown/known median ratio: {ratio:.2f}")


def main() -> None:
    """Parse flags and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    asyncio.run(run(parser.parse_args().rounds))


if __name__ == "__main__":
    main()
