"""Private group mode over the live channel: names hidden from other group members, and
the media server forwards no group member's media to another (an aiortc client checks)."""

from __future__ import annotations

import json

from tests.live.harness import LiveClient, Server, Staff
from tests.live.test_media_over_live_channel import publishing
from tests.live.test_permissions import admitted_guest, lead_and_two_clients
from tests.live.test_safety import received
from tests.sfu.conftest import eventually


async def room_of_three(
    server: Server,
) -> tuple[Staff, str, LiveClient, list[LiveClient], list[str]]:
    """A leader with Ann and Ben (clients) and Rosa (Ann's interpreter) admitted."""
    clinician = await server.staff("dana")
    sid = (await clinician.create_session())["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann_token = await clinician.invite(sid)
    rosa_token = await clinician.invite(
        sid, role="interpreter", language="Spanish", interprets_for=ann_token.split(".")[0]
    )
    people = [
        await admitted_guest(server, leader, token, name)
        for token, name in (
            (ann_token, "Ann"),
            (await clinician.invite(sid), "Ben"),
            (rosa_token, "Rosa"),
        )
    ]
    return clinician, sid, leader, [c for c, _ in people], [pid for _, pid in people]


async def names_seen(client: LiveClient, name: str) -> dict[str, str]:
    """Participant id -> the name ``client`` is shown, from a fresh snapshot."""
    state = (await client.ok("join", {"display_name": name}))["state"]
    return {p["id"]: p["display_name"] for p in state["people"]}


async def test_group_members_see_leads_and_interpreters_but_not_each_others_names(
    server: Server,
) -> None:
    clinician, sid, leader, (ann, ben, rosa), (ann_id, ben_id, rosa_id) = await room_of_three(
        server
    )
    refused = await ann.call("privacy.mode", {"on": True})
    assert refused["error"]["code"] == "forbidden"
    await leader.ok("privacy.mode", {"on": True})
    assert (await leader.call("privacy.mode", {"on": True}))["error"]["code"] == "conflict"
    await ben.wait_event("privacy.mode_set", on=True)

    seen_by_ben = await names_seen(ben, "Ben")
    assert seen_by_ben[ann_id] == "Group member"
    assert (seen_by_ben[ben_id], seen_by_ben[rosa_id], seen_by_ben[clinician.id]) == (
        "Ben",
        "Rosa",
        "dana",
    )
    for open_viewer, name in ((leader, None), (rosa, "Rosa")):
        seen = await names_seen(open_viewer, name) if name else await names_seen(open_viewer, "x")
        assert (seen[ann_id], seen[ben_id]) == ("Ann", "Ben")

    # Ann chooses initials, then shows herself.
    await ann.ok("privacy.show_me", {"show": False, "initials": "A.K."})
    bad = await ann.call("privacy.show_me", {"show": False, "initials": "Ann Kay"})
    assert bad["error"]["code"] == "invalid"
    assert (await names_seen(ben, "Ben"))[ann_id] == "A.K."
    await ann.ok("privacy.show_me", {"show": True})
    assert (await names_seen(ben, "Ben"))[ann_id] == "Ann"

    # A hidden member's new name goes to the staff and to them, never to the group.
    before = len(ann.received)
    await leader.ok("participant.rename", {"participant": ben_id, "display_name": "Benjamin"})
    await leader.wait_event("participant.renamed", display_name="Benjamin")
    await ben.wait_event("participant.renamed", display_name="Benjamin")
    await ann.ok("chat.send", {"text": "hello"})
    await ann.wait_event("chat.sent")
    assert "Benjamin" not in json.dumps(ann.received[before:])
    assert (await names_seen(ann, "Ann"))[ben_id] == "Group member"

    await leader.ok("privacy.mode", {"on": False})
    assert (await names_seen(ann, "Ann"))[ben_id] == "Benjamin"
    kinds = [e.kind for e in await server.services.log.read(sid) if e.kind.startswith("privacy")]
    assert kinds == [
        "privacy.mode_set",
        "privacy.chosen",
        "privacy.chosen",
        "privacy.mode_set",
    ]


async def test_in_private_mode_a_client_receives_the_leaders_media_but_no_other_clients(
    media_server: Server,
) -> None:
    server = media_server
    clinician, _sid, leader, (ann, ann_id), (ben, ben_id) = await lead_and_two_clients(server)
    # Set before any media room exists: the room made by the first media join is private.
    await leader.ok("privacy.mode", {"on": True, "voices": False})
    people = (leader, clinician.id), (ann, ann_id), (ben, ben_id)
    async with publishing(*people) as (lead_peer, ann_peer, ben_peer):
        await eventually(lambda: ann_peer.video_frames_from(clinician.id) > 30, what="lead->Ann")
        await eventually(lambda: ben_peer.video_frames_from(clinician.id) > 30, what="lead->Ben")
        await eventually(
            lambda: (
                lead_peer.video_frames_from(ann_id) > 30
                and lead_peer.video_frames_from(ben_id) > 30
            ),
            what="the lead sees both",
        )
        assert ann_peer.audio_frames[clinician.id] > 0
        assert received(ann_peer, ben_id) == (0, 0)
        assert received(ben_peer, ann_id) == (0, 0)
        assert not [e for e in ann_peer.events_of("track_added") if e["participant"] == ben_id]

        # Ben chooses to show himself: Ann now gets his video.
        await ben.ok("privacy.show_me", {"show": True})
        await eventually(lambda: ann_peer.video_frames_from(ben_id) > 10, what="Ben shown")
        assert received(ben_peer, ann_id) == (0, 0)
