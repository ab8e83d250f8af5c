"""Two real group sessions driven over the live channel, for report tests.

Session 1 (module A): Ann and Ben arrive on time, Ben drops out and comes back,
Cy arrives late and leaves early; a role play, two home assignments, one goal.
Session 2 (module B): Ann and Ben come, Cy is invited but never comes; the
assignments are reviewed and Ann's goal is achieved.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain.roles import StaffRole
from imr_live.store.session_log import LogEvent
from tests.live.harness import LiveClient, Server, Staff, guest

CLIENTS = {"ann": "C-001", "ben": "C-002", "cy": "C-003"}


@dataclass
class Scenario:
    """Who took part and what the live channel answered."""

    dana: Staff
    """The leading clinician."""
    sam: Staff
    """Co-leader of session 1."""
    sessions: list[dict[str, Any]] = field(default_factory=list)
    pids: list[dict[str, str]] = field(default_factory=list)
    """Per session: short name -> participant id."""
    tokens: list[dict[str, str]] = field(default_factory=list)
    """Per session: short name -> join token."""
    assignments: dict[str, str] = field(default_factory=dict)
    goal: str = ""

    async def log(self, server: Server, index: int) -> list[LogEvent]:
        """The stored log of session ``index``."""
        return await server.services.log.read(self.sessions[index]["id"])


def two_modules(server: Server) -> tuple[str, str, str]:
    """Script refs of two different modules and a role play of the first."""
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    first, second = curriculum.modules[0].sessions[0], curriculum.modules[1].sessions[0]
    return first.ref, second.ref, first.role_plays[0].id


async def come_in(
    server: Server, leader: LiveClient, token: str, name: str
) -> tuple[LiveClient, str]:
    """A client joins, waits and is admitted."""
    client = await guest(server, token)
    ack = await client.ok("join", {"display_name": name, "consent": True})
    pid = str(ack["you"]["id"])
    await leader.wait_event("participant.joined", participant=pid)
    await leader.ok("waiting.admit", {"participant": pid})
    await client.wait_for(lambda n, _d: n == "admitted")
    return client, pid


async def invite_all(sc: Scenario, sid: str) -> dict[str, str]:
    """One invite per client, each carrying the client's opaque ref."""
    return {n: await sc.dana.invite(sid, "client", client_ref=ref) for n, ref in CLIENTS.items()}


async def run_scenario(server: Server) -> Scenario:
    """Hold both sessions; return what the tests need to check the reports."""
    dana = await server.staff("dana")
    sam = await server.staff("sam", StaffRole.CO_LEADER)
    sc = Scenario(dana, sam)
    ref1, ref2, role_play = two_modules(server)
    await first_session(server, sc, ref1, role_play)
    await second_session(server, sc, ref2)
    return sc


async def first_session(server: Server, sc: Scenario, ref: str, role_play: str) -> None:
    """Drop-out and rejoin, a late arrival who leaves early, role play, assignments, a goal."""
    session = await sc.dana.create_session(script_ref=ref, co_leader_ids=[sc.sam.id])
    sid = session["id"]
    tokens = await invite_all(sc, sid)
    leader = await sc.dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, tokens["ann"], "Ann")
    ben_client, ben = await come_in(server, leader, tokens["ben"], "Ben")
    await leader.ok("slide.show", {"index": 0})
    await leader.ok("slide.show", {"index": 1})
    cast = {"client": ann, "leader": sc.dana.id}
    await leader.ok("roleplay.start", {"role_play_id": role_play, "cast": cast})
    await leader.ok("roleplay.end")
    await ben_client.close()
    await leader.wait_event("participant.dropped", participant=ben)
    ben_again = await guest(server, tokens["ben"])
    assert (await ben_again.ok("join", {"display_name": "Ben"}))["status"] == "admitted"
    await asyncio.sleep(1.1)  # Cy is late by at least a second
    cy_client, cy = await come_in(server, leader, tokens["cy"], "Cy")
    for name, pid in (("ann", ann), ("ben", ben)):
        ack = await leader.ok("assignment.give", {"participant": pid, "text": "Walk 10 min"})
        sc.assignments[name] = ack["assignment_id"]
    goal = await leader.ok("goal.note", {"participant": ann, "goal": "Sleep better"})
    sc.goal = goal["goal_id"]
    await cy_client.ok("leave")
    await leader.ok("session.end")
    sc.sessions.append(session)
    sc.pids.append({"ann": ann, "ben": ben, "cy": cy})
    sc.tokens.append(tokens)


async def second_session(server: Server, sc: Scenario, ref: str) -> None:
    """Review of the assignments and the goal; Cy misses it."""
    session = await sc.dana.create_session(script_ref=ref)
    sid = session["id"]
    tokens = await invite_all(sc, sid)
    leader = await sc.dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, tokens["ann"], "Ann")
    _ben, ben = await come_in(server, leader, tokens["ben"], "Ben")
    review = {"participant": ann, "assignment_id": sc.assignments["ann"], "done": True}
    await leader.ok("assignment.review", review)
    review = {"participant": ben, "assignment_id": sc.assignments["ben"], "done": False}
    await leader.ok("assignment.review", review)
    update = {"participant": ann, "goal_id": sc.goal, "status": "achieved"}
    await leader.ok("goal.update", update)
    await leader.ok("session.end")
    sc.sessions.append(session)
    sc.pids.append({"ann": ann, "ben": ben})
    sc.tokens.append(tokens)


async def held_session(
    server: Server, dana: Staff, co_ids: list[str], name: str = "Ann"
) -> dict[str, Any]:
    """A short ended session: the leader admits one client (C-001) and ends it."""
    session = await dana.create_session(co_leader_ids=co_ids)
    token = await dana.invite(session["id"], "client", client_ref="C-001")
    leader = await dana.connect(session["id"])
    await leader.ok("join")
    await come_in(server, leader, token, name)
    await leader.ok("session.end")
    return {**session, "token": token}


def at_of(events: list[LogEvent], kind: str, **data: Any) -> int:
    """The ``at`` of the one event of ``kind`` whose data contains ``data``."""
    found = [
        e.at for e in events if e.kind == kind and all(e.data.get(k) == v for k, v in data.items())
    ]
    assert len(found) == 1, (kind, data, found)
    return found[0]
