"""Guest speakers over the live channel: a link with a time window comes straight in (not
before it, never after it), the room is told who came, and the guest speaker sees no
client's or supporter's name until the lead allows it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
import socketio

from imr_live.domain.clock import SECOND_US, now_us
from tests.live.harness import LiveClient, Server, Staff, guest
from tests.live.test_permissions import admitted_guest
from tests.live.test_whole_session import first_script

HOUR_US = 3600 * SECOND_US
SECRET_NAMES = ("Annabel", "Samwise", "Annie-Rose")
"""The client's and supporter's names (and the client's new name): never to the guest."""


def open_now() -> dict[str, int]:
    return {"window_start": now_us() - 60 * SECOND_US, "window_end": now_us() + HOUR_US}


def ends_before_it_starts(start: int) -> dict[str, Any]:
    return {"role": "guest_speaker", "window_start": start, "window_end": start - 1}


def leaks(client: LiveClient, after: int = 0) -> list[str]:
    """Secret names found anywhere in what ``client`` received (from message ``after``)."""
    text = json.dumps(client.received[after:])
    return [name for name in SECRET_NAMES if name in text]


async def refusal(server: Server, token: str) -> str:
    """The error code a connection with ``token`` is refused with."""
    client = socketio.AsyncClient(reconnection=False)
    errors: list[Any] = []
    client.on("connect_error", lambda data: errors.append(data))
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(server.url, auth={"token": token}, transports=["websocket"])
    return str(errors[0]["data"]["code"])


async def session_with_leader(server: Server, **body: Any) -> tuple[Staff, str, LiveClient]:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(**body))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    return clinician, sid, leader


async def test_inside_the_window_a_guest_speaker_comes_straight_in_and_is_introduced(
    any_server: Server,
) -> None:
    server = any_server
    clinician, sid, leader = await session_with_leader(server)
    ann, _ = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")

    gil = await guest(server, await clinician.invite(sid, "guest_speaker", **open_now()))
    ack = await gil.ok("join", {"display_name": "Dr. Gil"})
    assert ack["status"] == "admitted" and ack["state"]["status"] == "live"
    gil_id = ack["you"]["id"]
    for seer in (ann, leader):
        await seer.wait_event("guest.introduced", participant=gil_id, display_name="Dr. Gil")
    # Reloading does not introduce them twice; nobody admitted them from a waiting room.
    await gil.ok("join", {"display_name": "Dr. Gil"})
    kinds = [e.kind for e in await server.services.log.read(sid) if e.actor == gil_id]
    assert kinds == ["participant.joined", "guest.introduced"]
    _, listed = await clinician.api("GET", f"/api/sessions/{sid}/invites")
    window = [(i["window_start"], i["window_end"]) for i in listed["invites"] if i["id"] == gil_id]
    assert window[0][0] < now_us() < window[0][1]


async def test_before_the_window_they_wait_and_a_plain_link_waits_as_before(
    server: Server,
) -> None:
    clinician, sid, leader = await session_with_leader(server)
    later = {"window_start": now_us() + HOUR_US, "window_end": now_us() + 2 * HOUR_US}
    for extra in (later, {}):
        speaker = await guest(server, await clinician.invite(sid, "guest_speaker", **extra))
        ack = await speaker.ok("join", {"display_name": "Dr. Lee"})
        assert ack["status"] == "waiting"
        await leader.ok("waiting.admit", {"participant": ack["you"]["id"]})
        await leader.wait_event("guest.introduced", participant=ack["you"]["id"])
        await speaker.wait_event("guest.introduced", participant=ack["you"]["id"])


async def test_a_guest_speaker_who_came_early_is_told_when_and_comes_in_then(
    server: Server,
) -> None:
    clinician, sid, leader = await session_with_leader(server)
    starts = now_us() + 1500 * 1000
    window = {"window_start": starts, "window_end": now_us() + HOUR_US}
    speaker = await guest(server, await clinician.invite(sid, "guest_speaker", **window))
    early = await speaker.ok("join", {"display_name": "Dr. Lee"})
    assert (early["status"], early["guest_time"]) == ("waiting", starts)
    await asyncio.sleep(max(0, starts - now_us()) / 1e6 + 0.1)
    ack = await speaker.ok("join", {"display_name": "Dr. Lee"})
    assert ack["status"] == "admitted" and "guest_time" not in ack
    await leader.wait_event("participant.admitted", participant=ack["you"]["id"])
    await leader.wait_event("guest.introduced", participant=ack["you"]["id"])
    await speaker.ok("chat.send", {"text": "Hello"})


async def test_after_the_window_the_link_is_refused_with_a_clear_code(server: Server) -> None:
    clinician, sid, _leader = await session_with_leader(server)
    soon = {"window_start": now_us() - 60 * SECOND_US, "window_end": now_us() + SECOND_US}
    token = await clinician.invite(sid, "guest_speaker", **soon)
    await asyncio.sleep(1.2)
    assert await refusal(server, token) == "guest_window_closed"
    async with aiohttp.ClientSession(server.url) as http:
        page = await (await http.get(f"/join/{token}")).text()
    assert "Your time to speak has passed" in page


@pytest.mark.parametrize(
    ("make_body", "says"),
    [
        (lambda: {"role": "client", **open_now()}, "only a guest speaker"),
        (lambda: {"role": "guest_speaker", "window_start": now_us()}, "give both"),
        (
            lambda: {"role": "guest_speaker", "window_start": "9am", "window_end": "10am"},
            "give both",
        ),
        (
            # One reading of the clock: two readings a few µs apart (a busy CI machine)
            # made an end 1 µs after the start, refused for "already passed" instead.
            lambda: ends_before_it_starts(now_us()),
            "must come after",
        ),
        (
            lambda: {"role": "guest_speaker", "window_start": 1, "window_end": 2},
            "already passed",
        ),
        (
            lambda: {"role": "guest_speaker", "ttl_s": 600, **open_now()},
            "before the link expires",
        ),
    ],
)
async def test_a_bad_window_is_refused_and_makes_no_link(
    server: Server, make_body: Callable[[], dict[str, Any]], says: str
) -> None:
    body = make_body()  # times taken when the test runs, not when pytest collects it
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    status, answer = await clinician.api("POST", f"/api/sessions/{sid}/invites", json=body)
    assert status == 400 and answer["error"]["code"] == "invalid", answer
    assert says in answer["error"]["message"]
    _, listed = await clinician.api("GET", f"/api/sessions/{sid}/invites")
    assert listed["invites"] == []


async def test_a_guest_speaker_sees_no_client_names_until_the_lead_allows_it(
    server: Server,
) -> None:
    ref, _slides, role_play = first_script(server)
    clinician, sid, leader = await session_with_leader(server, script_ref=ref)
    ann, ann_id = await admitted_guest(server, leader, await clinician.invite(sid), "Annabel")
    sam, sam_id = await admitted_guest(
        server, leader, await clinician.invite(sid, "supporter"), "Samwise"
    )
    cole, _ = await admitted_guest(server, leader, await clinician.invite(sid, "co_leader"), "Cole")
    gil = await guest(server, await clinician.invite(sid, "guest_speaker", **open_now()))
    welcome = await gil.ok("join", {"display_name": "Dr. Gil"})
    gil_id = welcome["you"]["id"]
    names = {p["id"]: p["display_name"] for p in welcome["state"]["people"]}
    assert (names[ann_id], names[sam_id]) == ("Group member", "Group member")
    assert names[clinician.id] == "dana" and names[gil_id] == "Dr. Gil"

    # Everything that carries people: chat, hands, a role play, a poll, a rename, choices.
    await ann.ok("chat.send", {"text": "Hello everyone"})
    await sam.ok("hand.raise")
    await ann.ok("privacy.show_me", {"show": True})
    await leader.ok("roleplay.start", {"role_play_id": role_play, "cast": {"client": ann_id}})
    poll = await leader.ok("poll.open", {"question": "Who helps you?", "options": ["A", "B"]})
    await ann.ok("poll.answer", {"poll_id": poll["poll_id"], "choices": [0]})
    await leader.ok("participant.rename", {"participant": ann_id, "display_name": "Annie-Rose"})
    await sam.wait_event("participant.renamed", display_name="Annie-Rose")
    await ann.ok("leave")
    ann = await guest(server, await clinician.invite(sid))  # a newcomer, while the guest is in
    await ann.ok("join", {"display_name": "Annabel"})
    await gil.ok("chat.send", {"text": "Thank you for having me"})
    await gil.wait_event("chat.sent", text="Thank you for having me")
    again = await gil.ok("join", {"display_name": "Dr. Gil"})
    assert {p["display_name"] for p in again["state"]["people"] if p["role"] == "client"} == {
        "Group member"
    }
    assert leaks(gil) == []

    # Only the lead clinician may let the guest see names.
    for other in (ann, cole, gil):
        refused = await other.call("guest.show_names", {"on": True})
        assert refused["error"]["code"] == "forbidden"
    assert leaks(gil) == []
    await leader.ok("guest.show_names", {"on": True})
    assert (await leader.call("guest.show_names", {"on": True}))["error"]["code"] == "conflict"
    await gil.wait_event("guest.names_shown", on=True)
    seen = {p["id"]: p["display_name"] for p in (await gil.ok("join"))["state"]["people"]}
    assert (seen[ann_id], seen[sam_id]) == ("Annie-Rose", "Samwise")
    await leader.ok("participant.rename", {"participant": sam_id, "display_name": "Sam"})
    await gil.wait_event("participant.renamed", participant=sam_id, display_name="Sam")

    # Hidden again: names are gone from the guest's view.
    await leader.ok("guest.show_names", {"on": False})
    seen = {p["id"]: p["display_name"] for p in (await gil.ok("join"))["state"]["people"]}
    assert (seen[ann_id], seen[sam_id]) == ("Group member", "Group member")
    kinds = [e.kind for e in await server.services.log.read(sid) if e.kind.startswith("guest.")]
    assert kinds == ["guest.introduced", "guest.names_shown", "guest.names_shown"]
    status, review = await clinician.api("GET", f"/api/sessions/{sid}/timeline")
    assert status == 200
    said = [e["summary"] for e in review["entries"]]
    assert "Dr. Gil was introduced to the group as a guest speaker" in said
    assert "dana let guest speakers see the group's names" in said
    assert "dana hid the group's names from guest speakers" in said
