"""Time from "end session" to every client's progress note drafted, for a group of 8.

Each run holds a real session on a real server (loopback, SQLite, the shipped
scripts): 8 clients come in by their links (each with a record number), the
leader shows 3 slides, runs a role play with one of them, gives each home
practice, notes each a goal with a short-term goal and steps, and rates each
on the IMR Scales. Then the clock starts, the leader sends ``session.end`` and
``GET /api/sessions/{id}/notes`` is read whole; the clock stops when all 8
drafts are in. The baseline, in the same process and on the same session, is
the session's attendance view (``GET /api/sessions/{id}/attendance``).

    PYTHONPATH=. .venv/bin/python bench/progress_notes.py [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from tests.live.harness import LiveClient, Server, Staff, guest, start_server
from tests.live.test_whole_session import first_script

CLIENTS = 8
TARGET_MS = 1000.0


async def come_in(leader: LiveClient, server: Server, token: str, name: str) -> str:
    """A client joins by their link and is admitted; their participant id."""
    client = await guest(server, token)
    pid = str((await client.ok("join", {"display_name": name}))["you"]["id"])
    await leader.wait_event("participant.joined", participant=pid)
    await leader.ok("waiting.admit", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "admitted")
    return pid


async def steady(leader: LiveClient, name: str, data: dict[str, object]) -> None:
    """Send a command, waiting out the per-sender rate limit (setting up is not timed)."""
    while True:
        ack = await leader.call(name, data)
        if ack["ok"]:
            return
        assert ack["error"]["code"] == "rate_limited", (name, ack)
        await asyncio.sleep(0.2)


async def one_run(server: Server, dana: Staff, n: int) -> tuple[float, float, float]:
    """Hold one session; (end ack ms, end to all drafts ms, baseline attendance ms)."""
    ref, _slides, role_play = first_script(server)
    sid = (await dana.create_session(script_ref=ref, title=f"Bench group {n}"))["id"]
    tokens = [await dana.invite(sid, "client", client_ref=f"B-{n}-{i}") for i in range(CLIENTS)]
    leader = await dana.connect(sid)
    await leader.ok("join")
    pids = [await come_in(leader, server, t, f"Client {i}") for i, t in enumerate(tokens)]
    for index in range(3):
        await leader.ok("slide.show", {"index": index})
    await leader.ok("roleplay.start", {"role_play_id": role_play, "cast": {"client": pids[0]}})
    await leader.ok("roleplay.end")
    for pid in pids:
        await steady(leader, "assignment.give", {"participant": pid, "text": "Walk 10 minutes"})
        goal = {"goal": "Sleep better", "short_term": [{"goal": "Bed by 11", "steps": ["Alarm"]}]}
        await steady(leader, "goal.note", {"participant": pid, **goal})
        rating = {"participant": pid, "rater": "clinician", "items": [3] * 15}
        await steady(leader, "scale.record", rating)
    await asyncio.sleep(2)  # let the rate limit's bucket refill: end is sent as a leader would

    start = time.perf_counter()
    await leader.ok("session.end")
    ended = time.perf_counter()
    status, body = await dana.api("GET", f"/api/sessions/{sid}/notes")
    done = time.perf_counter()
    assert status == 200 and len(body["notes"]) == CLIENTS, (status, body)

    base_start = time.perf_counter()
    status, _ = await dana.api("GET", f"/api/sessions/{sid}/attendance")
    base = time.perf_counter() - base_start
    assert status == 200
    await leader.close()
    return (ended - start) * 1000, (done - start) * 1000, base * 1000


async def main(runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        server = await start_server(Path(tmp))
        try:
            dana = await server.staff("dana")
            results = [await one_run(server, dana, n) for n in range(runs)]
        finally:
            await server.stop()
    end_ack = statistics.median(r[0] for r in results)
    drafted = statistics.median(r[1] for r in results)
    base = statistics.median(r[2] for r in results)
    print(f"group of {CLIENTS}, {runs} runs (medians)")
    print(f"  session.end acknowledged       {end_ack:8.1f} ms")
    print(
        f"  end to all {CLIENTS} notes drafted     {drafted:8.1f} ms  (target < {TARGET_MS:.0f} ms)"
    )
    print(f"  attendance view (baseline)     {base:8.1f} ms")
    print(f"  notes fetch / baseline         {(drafted - end_ack) / base:8.2f} x")
    print(f"  worst run, end to all drafted  {max(r[1] for r in results):8.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    asyncio.run(main(parser.parse_args().runs))
