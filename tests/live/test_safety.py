"""Safety in the room over the live channel: where clients are, "I need help now", private talks."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest

from imr_live.domain.roles import StaffRole
from tests.live.harness import LiveClient, Server, Staff, guest
from tests.live.test_media_over_live_channel import SocketPeer, publishing
from tests.live.test_permissions import lead_and_two_clients
from tests.live.test_whole_session import admit_all
from tests.sfu.conftest import eventually

PLACE = "Flat 3, 12 Elm Street, Riverton"
NUMBER = "555-0101"
CONTACT = "Rosa (sister) 555-0199"
SECRETS = (PLACE, NUMBER, CONTACT, "Elm Street")
# The numbers' last digits leak on their own too ("ending 0101"), but only as a
# word: random hex ids, SSRCs and timestamps hold "0101" by chance (CI failed on one).
DIGITS = tuple(re.compile(rf"(?<![0-9A-Za-z.]){d}(?![0-9A-Za-z])") for d in ("0101", "0199"))


def leaks(text: str) -> list[str]:
    """The pieces of the client's place and numbers found in ``text``."""
    found = [s for s in SECRETS if s in text]
    return found + [d.pattern for d in DIGITS if d.search(text)]


def test_a_number_s_last_digits_leak_as_a_word_but_not_inside_an_id() -> None:
    assert leaks('{"id": "p_3a0101fe09c2", "ssrc": 2140101993, "at": 1764.0101}') == []
    assert leaks("call back on the number ending 0101") != []
    assert leaks('{"note": "0199"}') != []
    assert leaks("Flat 3, 12 Elm Street, Riverton") != []


async def group(
    server: Server,
) -> tuple[Staff, Staff, str, LiveClient, LiveClient, list[LiveClient]]:
    """A leader and a co-leader in the room, and two clients connected (not joined yet)."""
    clinician = await server.staff("dana")
    co = await server.staff("sam", StaffRole.CO_LEADER)
    session = await clinician.create_session(co_leader_ids=[co.id])
    sid = session["id"]
    tokens = [await clinician.invite(sid, client_ref=f"C-{n}") for n in (1, 2)]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    co_leader = await co.connect(sid)
    await co_leader.ok("join")
    clients = [await guest(server, t) for t in tokens]
    return clinician, co, sid, leader, co_leader, clients


async def test_help_reaches_only_the_leads_with_where_the_client_is(
    any_server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server = any_server
    clinician, co, sid, leader, co_leader, clients = await group(server)
    ann, ben = clients
    # The check is made in the waiting room, before the leader lets Ann in.
    await ann.ok("join", {"display_name": "Ann"})
    check = {"location": PLACE, "callback": NUMBER, "emergency_contact": CONTACT}
    confirmed = await ann.ok("safety.confirm", check)
    ann_id = (await leader.wait_event("safety.confirmed"))["data"]["participant"]
    # Help can be asked for from the waiting room too.
    await ann.ok("help.request")
    alert = await leader.wait_for(lambda n, _d: n == "help")
    assert (alert["participant"], alert["location"]) == (ann_id, PLACE)
    await admit_all(leader, [ben], ["Ben"])
    await leader.ok("waiting.admit", {"participant": ann_id})
    await ann.wait_for(lambda n, _d: n == "admitted")

    await ann.ok("help.request")
    for lead in (leader, co_leader):
        await lead.wait_for(lambda n, _d: n == "help" and _d["seq"] > alert["seq"])
        alerts = [d for n, d in lead.received if n == "help"]
        assert alerts[-1]["participant"] == ann_id and alerts[-1]["display_name"] == "Ann"
        assert (alerts[-1]["location"], alerts[-1]["callback"]) == (PLACE, NUMBER)
        await lead.wait_event("help.requested", participant=ann_id)
    # Ben is in the room and hears the chat that follows, but nothing of the help signal.
    await leader.ok("chat.send", {"text": "Let's take a short break."})
    await ben.wait_event("chat.sent")
    assert [n for n, _d in ben.received if n == "help"] == []
    assert ben.events("help.requested") == [] and ben.events("safety.confirmed") == []
    assert leaks(json.dumps(ben.received)) == []

    events = await server.services.log.read(sid)
    kinds = {e.kind: e.data for e in events}
    assert kinds["safety.confirmed"] == {"participant": ann_id}
    assert kinds["help.requested"] == {"participant": ann_id}
    assert [e.data for e in events if e.kind == "help.requested"] == [{"participant": ann_id}] * 2
    assert [e.seq for e in events if e.kind == "safety.confirmed"] == [confirmed["seq"]]
    assert leaks(json.dumps([[e.kind, e.data] for e in events])) == []
    assert leaks(caplog.text) == []
    # Being shown a client's place without asking is audited too, once per staff member told.
    rows = await server.services.db.fetch(
        "SELECT account_id FROM audit_log WHERE action = ?", "push.safety_help"
    )
    assert sorted(r["account_id"] for r in rows) == sorted([clinician.id, co.id] * 2)


async def test_the_first_check_needs_an_emergency_contact_and_later_ones_can_reuse_the_place(
    server: Server,
) -> None:
    clinician = await server.staff("dana")
    first = (await clinician.create_session())["id"]
    ann = await guest(server, await clinician.invite(first, client_ref="C-7"))
    await ann.ok("join", {"display_name": "Ann"})
    refused = await ann.call("safety.confirm", {"location": PLACE, "callback": NUMBER})
    assert refused["error"]["code"] == "emergency_contact_needed"
    same = await ann.call("safety.confirm", {"same_place": True, "callback": NUMBER})
    assert same["error"]["code"] == "no_earlier_place"
    bad = await ann.call("safety.confirm", {"location": PLACE, "callback": "call me maybe"})
    assert bad["error"]["code"] == "invalid"
    check = {"location": PLACE, "callback": NUMBER, "emergency_contact": CONTACT}
    await ann.ok("safety.confirm", check)

    # Next week, the same client (same client_ref) on a new link: "same place as last time".
    second = (await clinician.create_session())["id"]
    ann2 = await guest(server, await clinician.invite(second, client_ref="C-7"))
    await ann2.ok("join", {"display_name": "Ann"})
    await ann2.ok("safety.confirm", {"same_place": True, "callback": "555-0202"})
    status, body = await clinician.api("GET", f"/api/sessions/{second}/safety")
    assert status == 200, body
    [row] = body["checks"]
    assert (row["location"], row["callback"], row["emergency_contact"]) == (
        PLACE,
        "555-0202",
        CONTACT,
    )


async def test_safety_checks_are_for_the_sessions_leads_and_supervisors_and_every_view_is_audited(
    server: Server,
) -> None:
    clinician, _co, sid, leader, _co_leader, clients = await group(server)
    ann = clients[0]
    await ann.ok("join", {"display_name": "Ann"})
    check = {"location": PLACE, "callback": NUMBER, "emergency_contact": CONTACT}
    await ann.ok("safety.confirm", check)
    ann_id = (await leader.wait_event("safety.confirmed"))["data"]["participant"]

    stranger = await server.staff("other-clinician")
    status, _body = await stranger.api("GET", f"/api/sessions/{sid}/safety")
    assert status == 403
    supervisor = await server.staff("sue", StaffRole.SUPERVISOR)
    status, body = await supervisor.api("GET", f"/api/sessions/{sid}/safety/{ann_id}")
    assert status == 200 and body["location"] == PLACE
    resp = await clinician.http.get(f"/api/sessions/{sid}/safety?format=csv")
    assert resp.status == 200 and PLACE in await resp.text()

    rows = await server.services.db.fetch("SELECT account_id, action, target FROM audit_log")
    audit = {(r["account_id"], r["action"], r["target"]) for r in rows}
    assert (supervisor.id, "view.safety", f"session:{sid}/participant:{ann_id}") in audit
    assert (clinician.id, "export.safety", f"session:{sid}") in audit
    assert stranger.id not in {r["account_id"] for r in rows}

    # The session's other exports carry nothing of it unless asked for.
    for report in ("timeline", "attendance"):
        resp = await clinician.http.get(f"/api/sessions/{sid}/{report}?format=csv")
        assert resp.status == 200 and leaks(await resp.text()) == []
    status, body = await clinician.api("GET", f"/api/sessions/{sid}/timeline?groups=safety")
    assert status == 200
    assert [e["summary"] for e in body["entries"]] == [
        "Ann said where they are and how to reach them"
    ]


async def test_a_private_talk_is_logged_without_what_was_said(server: Server) -> None:
    clinician, co, sid, leader, co_leader, clients = await group(server)
    ids = await admit_all(leader, clients, ["Ann", "Ben"])
    refused = await clients[1].call("private_talk.start", {"participant": ids[0]})
    assert refused["error"]["code"] == "forbidden"
    not_client = await leader.call("private_talk.start", {"participant": co.id})
    assert not_client["error"]["code"] == "conflict"

    await leader.ok("private_talk.start", {"participant": ids[0], "co_leader": co.id})
    started = await clients[1].wait_event("private_talk.started")
    assert started["data"]["participants"] == [clinician.id, ids[0], co.id]
    # Someone reconnecting learns of the talk from the state they are given.
    rejoined = await clients[1].ok("join", {"display_name": "Ben"})
    assert rejoined["state"]["private_talk"] == [clinician.id, ids[0], co.id]
    again = await co_leader.call("private_talk.start", {"participant": ids[1]})
    assert again["error"]["code"] == "conflict"
    await co_leader.ok("private_talk.end")
    ended = await clients[0].wait_event("private_talk.ended")
    assert ended["data"]["participants"] == [clinician.id, ids[0], co.id]
    assert (await leader.call("private_talk.end"))["error"]["code"] == "conflict"
    logged: dict[str, Any] = {
        e.kind: e.data for e in await server.services.log.read(sid) if "private" in e.kind
    }
    assert set(logged) == {"private_talk.started", "private_talk.ended"}


async def test_a_private_talk_keeps_the_pairs_media_from_the_group_and_brings_it_back(
    media_server: Server,
) -> None:
    server = media_server
    clinician, _sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(server)
    people = (leader, clinician.id), (ann, ann_id), (ben, ben_id)
    async with publishing(*people) as (lead_peer, ann_peer, ben_peer):
        for viewer, other in ((ben_peer, clinician.id), (ben_peer, ann_id), (ann_peer, ben_id)):
            await eventually(lambda v=viewer, o=other: v.video_frames_from(o) > 5, what=other)

        # Only the server moves people between groups: a browser cannot ask for it.
        sneaky = await ben.call("media", {"type": "group", "members": [ben_id], "group": "p"})
        assert sneaky["error"]["code"] == "invalid"
        await leader.ok("private_talk.start", {"participant": ann_id})
        await eventually(lambda: len(removed(ben_peer)) == 4, what="Ben loses both tiles")
        assert removed(ben_peer) == {
            (clinician.id, "audio"),
            (clinician.id, "video"),
            (ann_id, "audio"),
            (ann_id, "video"),
        }
        assert removed(ann_peer) == {(ben_id, "audio"), (ben_id, "video")}
        assert removed(lead_peer) == {(ben_id, "audio"), (ben_id, "video")}
        ben_saw = received(ben_peer, clinician.id, ann_id)
        ann_saw = received(ann_peer, ben_id)
        # The pair go on seeing each other while the group's media no longer reaches them.
        ann_now = lead_peer.video_frames_from(ann_id)
        await eventually(lambda: lead_peer.video_frames_from(ann_id) > ann_now + 30, what="pair")
        assert received(ben_peer, clinician.id, ann_id) == ben_saw
        assert received(ann_peer, ben_id) == ann_saw

        await leader.ok("private_talk.end")
        await eventually(lambda: received(ben_peer, clinician.id, ann_id) > ben_saw, what="back")
        for viewer, other in ((ben_peer, clinician.id), (ben_peer, ann_id), (ann_peer, ben_id)):
            seen = viewer.video_frames_from(other)
            await eventually(lambda v=viewer, o=other, s=seen: v.video_frames_from(o) > s + 5)
            assert viewer.audio_frames[other] > 0


def removed(peer: SocketPeer) -> set[tuple[str, str]]:
    """The (publisher, kind) tracks the SFU told this peer it no longer sends."""
    return {(e["participant"], e["kind"]) for e in peer.events_of("track_removed")}


def received(peer: SocketPeer, *publishers: str) -> tuple[int, ...]:
    """Video and audio frames this peer decoded from each publisher so far."""
    return tuple(n for p in publishers for n in (peer.video_frames_from(p), peer.audio_frames[p]))


async def test_media_joined_after_a_private_talk_began_stays_apart(media_server: Server) -> None:
    server = media_server
    clinician, _sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(server)
    # No media room exists yet (nobody has joined media) when the talk starts.
    await leader.ok("private_talk.start", {"participant": ann_id})
    people = (leader, clinician.id), (ann, ann_id), (ben, ben_id)
    async with publishing(*people) as (lead_peer, ann_peer, ben_peer):
        await eventually(lambda: lead_peer.video_frames_from(ann_id) > 30, what="the pair")
        await eventually(lambda: ann_peer.video_frames_from(clinician.id) > 30, what="the pair")
        assert received(ben_peer, clinician.id, ann_id) == (0, 0, 0, 0)
        assert received(ann_peer, ben_id) == (0, 0)
        added = {(e["participant"], e["kind"]) for e in ben_peer.events_of("track_added")}
        assert added == set()
