"""A bounded fuzz of every catalogued command as every role (the long run: bench/live_fuzz.py).

Asserts what the people in the room would notice: no server error, every refusal
acked with a code, the log unchanged by every refused event, and afterwards a
fresh client still joins and sees the current slide.
"""

from __future__ import annotations

import json
import logging
import random
from pathlib import Path

import pytest

from imr_live.domain.events import COMMANDS, COMMON_ERRORS
from imr_live.domain.roles import StaffRole
from tests.live.fuzz import Known, Payloads
from tests.live.harness import LiveClient, Server, guest, start_server
from tests.live.test_permissions import admitted_guest
from tests.live.test_whole_session import first_script

SEED = 20261203
EVENTS_PER_ROLE = 400
KNOWN_CODES = set(COMMON_ERRORS) | {code for spec in COMMANDS.values() for code in spec.errors}
"""Every refusal the catalogue documents: a fuzzed ack with any other code is a finding."""


@pytest.mark.parametrize("seed", [SEED, SEED + 1, SEED + 2])
async def test_every_command_as_every_role_with_generated_payloads(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, seed: int
) -> None:
    caplog.set_level(logging.INFO)
    server = await start_server(tmp_path, events_per_second=10_000.0, event_burst=10_000)
    try:
        outcomes = await fuzz(server, caplog, seed)
    finally:
        await server.stop()
    print(f"seed {seed}: {sorted(outcomes.items())}")


async def fuzz(server: Server, caplog: pytest.LogCaptureFixture, seed: int) -> dict[str, int]:
    clinician = await server.staff("dana")
    supervisor = await server.staff("sam", StaffRole.SUPERVISOR)
    ref, _slides, _play = first_script(server)
    sid = (await clinician.create_session(script_ref=ref))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    await leader.ok("slide.show", {"index": 1})
    actors: list[tuple[str, LiveClient]] = [("leader", leader)]
    ids = [clinician.id]
    for role in ("client", "co_leader", "supporter", "observer", "guest_speaker"):
        client, pid = await admitted_guest(
            server, leader, await clinician.invite(sid, role), role.title()
        )
        actors.append((role, client))
        ids.append(pid)
    watcher = await supervisor.connect(sid)
    await watcher.ok("join")
    actors.append(("supervisor", watcher))
    rng = random.Random(seed)
    maker = Payloads(rng, Known(people=ids))
    names = sorted(set(COMMANDS) - {"join", "session.end", "leave"})
    channel = server.services.channel
    outcomes: dict[str, int] = {}
    for role, actor in actors:
        for _ in range(EVENTS_PER_ROLE):
            if not actor.sio.connected:
                break  # removed by an earlier fuzzed command of a lead
            name = rng.choice(names)
            payload = maker.make(COMMANDS[name])
            before = (await channel.live(sid)).state.last_seq
            ack = await actor.call(name, payload)
            after = (await channel.live(sid)).state.last_seq
            if ack["ok"]:
                outcomes["ok"] = outcomes.get("ok", 0) + 1
                continue
            code = ack["error"]["code"]
            outcomes[code] = outcomes.get(code, 0) + 1
            assert code in KNOWN_CODES, (role, name, payload, ack)
            assert ack["error"]["message"], (role, name, ack)
            assert after == before, ("a refused event changed the log", role, name, payload)
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == [], [r.getMessage()[:200] for r in errors]
    assert outcomes.get("ok", 0) > 20, outcomes  # the fuzz reached the handlers
    # Afterwards the session still works for a newcomer: they join and see the slide.
    if (await channel.live(sid)).state.locked:
        await leader.ok("session.lock", {"locked": False})  # the fuzz may have locked it
    late = await guest(server, await clinician.invite(sid))
    ack = await late.call("join", {"display_name": "Late"})
    assert ack["ok"], ack
    if ack["status"] == "waiting":
        await leader.ok("waiting.admit", {"participant": ack["you"]["id"]})
        welcome = await late.wait_for(lambda n, _d: n == "admitted")
    else:
        welcome = ack
    live = await channel.live(sid)
    expected = live.state.slide.slide_id if live.state.slide else None
    shown = (welcome["state"]["slide"] or {}).get("slide_id")
    assert shown == expected
    return outcomes


def test_every_kept_fuzz_finding_has_its_regression_test() -> None:
    found = json.loads((Path(__file__).parent / "fuzz_regressions.json").read_text())
    root = Path(__file__).resolve().parents[2]
    for entry in found:
        path, _, name = entry["covered_by"].partition("::")
        assert f"def {name}(" in (root / path).read_text(), entry
