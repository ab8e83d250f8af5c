"""Leads have an order: the lead clinician outranks co-leaders, and denial holds."""

from __future__ import annotations

from imr_live.domain.roles import StaffRole
from tests.live.harness import LiveClient, Server, guest
from tests.live.test_permissions import admitted_guest


async def room(server: Server) -> tuple[LiveClient, str, LiveClient, str, str]:
    """A session with its lead clinician, a staff co-leader and a client in the room."""
    clinician = await server.staff("dana")
    co = await server.staff("cole", StaffRole.CO_LEADER)
    sid = (await clinician.create_session(co_leader_ids=[co.id]))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    co_leader = await co.connect(sid)
    await co_leader.ok("join")
    _client, client_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    return leader, clinician.id, co_leader, co.id, client_id


async def test_a_co_leader_cannot_silence_rename_or_remove_the_lead_clinician(
    server: Server,
) -> None:
    leader, lead_id, co_leader, _co_id, _client_id = await room(server)
    for event, payload in [
        ("media.server_mute", {"participant": lead_id, "kind": "audio", "muted": True}),
        ("media.server_mute", {"participant": lead_id, "kind": "video", "muted": True}),
        ("participant.remove", {"participant": lead_id}),
        ("participant.rename", {"participant": lead_id, "display_name": "Nobody"}),
    ]:
        ack = await co_leader.call(event, payload)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden", (event, ack)
    # Nobody server-mutes the lead, the lead included: they mute their own microphone.
    ack = await leader.call(
        "media.server_mute", {"participant": lead_id, "kind": "audio", "muted": True}
    )
    assert ack["error"]["code"] == "forbidden"
    assert (await leader.call("chat.send", {"text": "still leading"}))["ok"]


async def test_the_lead_outranks_co_leaders_and_co_leaders_act_on_guests(server: Server) -> None:
    leader, _lead_id, co_leader, co_id, client_id = await room(server)
    # A co-leader may not act on another lead; the lead clinician may.
    ack = await co_leader.call("participant.rename", {"participant": co_id, "display_name": "C"})
    assert ack["ok"], ack  # their own name is theirs to keep tidy
    assert (await leader.call("participant.rename", {"participant": co_id, "display_name": "Co"}))[
        "ok"
    ]
    ack = await co_leader.call(
        "participant.rename", {"participant": client_id, "display_name": "A"}
    )
    assert ack["ok"], ack
    # Media is off in this server: a permitted mute is refused for that reason only.
    ack = await leader.call(
        "media.server_mute", {"participant": co_id, "kind": "audio", "muted": True}
    )
    assert ack["error"]["code"] == "unavailable", ack
    ack = await co_leader.call(
        "media.server_mute", {"participant": client_id, "kind": "audio", "muted": True}
    )
    assert ack["error"]["code"] == "unavailable", ack


async def test_a_denied_guest_stays_denied_after_reloading(server: Server) -> None:
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    token = await clinician.invite(sid)
    stranger = await guest(server, token)
    pid = (await stranger.ok("join", {"display_name": "Stray"}))["you"]["id"]
    await leader.ok("waiting.deny", {"participant": pid})
    again = await guest(server, token)  # the same link, after a reload
    ack = await again.call("join", {"display_name": "Stray"})
    assert ack["ok"] is False and ack["error"]["code"] == "denied", ack
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert kinds.count("participant.joined") == 2  # the leader and the stranger, once
