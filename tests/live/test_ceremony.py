"""A graduation ceremony: graduates are asked first; only a yes is shown to everyone, in turn.

Dana opens a ceremony for Ann and Ben; Sue (Ann's supporter, on her own supporter
link) watches. Each graduate is asked privately. Ben says no: only staff hear it and
he is never shown. Ann says yes: "Next" shows her certificate to the whole room, Sue
included. A reload keeps the certificate on screen; the log holds every step.
"""

from __future__ import annotations

from imr_live.domain.ceremony import ACHIEVEMENT, HEADLINE
from tests.live.harness import Server, guest
from tests.live.test_whole_session import admit_all


async def test_only_graduates_who_said_yes_are_honoured_in_turn(server: Server) -> None:
    dana = await server.staff("dana")
    sid = (await dana.create_session())["id"]
    leader = await dana.connect(sid)
    await leader.ok("join")
    ann, ben = [await guest(server, await dana.invite(sid)) for _ in range(2)]
    sue = await guest(server, await dana.invite(sid, "supporter"))
    ann_id, ben_id, sue_id = await admit_all(leader, [ann, ben, sue], ["Ann", "Ben", "Sue"])

    refused = await ann.call("ceremony.start", {"graduates": [ann_id]})
    assert refused["error"]["code"] == "forbidden"
    not_client = await leader.call("ceremony.start", {"graduates": [sue_id]})
    assert not_client["error"]["code"] == "invalid"
    assert (await ann.call("ceremony.answer", {"yes": True}))["error"]["code"] == "out_of_order"

    await leader.ok("ceremony.start", {"graduates": [ben_id, ann_id]})
    await sue.wait_event("ceremony.started")
    await ann.wait_event("ceremony.asked", participant=ann_id)
    await ben.wait_event("ceremony.asked", participant=ben_id)
    again = await leader.call("ceremony.start", {"graduates": [ann_id]})
    assert again["error"]["code"] == "conflict"
    early = await leader.call("ceremony.next")
    assert early["error"]["code"] == "out_of_order"  # nobody said yes yet

    await ben.ok("ceremony.answer", {"yes": False})
    await leader.wait_event("ceremony.answered", participant=ben_id, yes=False)
    await ann.ok("ceremony.answer", {"yes": True})
    await leader.wait_event("ceremony.answered", participant=ann_id, yes=True)
    await leader.ok("ceremony.next")
    shown = await sue.wait_event("ceremony.honoured", participant=ann_id)
    assert shown["data"] == {
        "participant": ann_id,
        "display_name": "Ann",
        "headline": HEADLINE,
        "achievement": ACHIEVEMENT,
    }
    done = await leader.call("ceremony.next")
    assert done["error"]["code"] == "out_of_order"  # Ben said no: he is never shown

    state = (await sue.ok("join"))["state"]["ceremony"]
    assert state["current"]["participant"] == ann_id and state["honoured"] == [ann_id]
    assert state["asked"] == [] and state["answers"] == {}  # nobody's no reaches Sue
    mine = (await ben.ok("join"))["state"]["ceremony"]
    assert (mine["asked"], mine["answers"]) == ([ben_id], {ben_id: False})
    staff = (await leader.ok("join"))["state"]["ceremony"]
    assert staff["answers"] == {ben_id: False, ann_id: True}

    await leader.ok("ceremony.end")
    await ann.wait_event("ceremony.ended")
    assert (await ann.ok("join"))["state"]["ceremony"] is None
    # Sue heard no question or answer; Ann only her own.
    assert sue.events("ceremony.asked") == [] and sue.events("ceremony.answered") == []
    for kind in ("ceremony.asked", "ceremony.answered"):
        assert {e["data"]["participant"] for e in ann.events(kind)} == {ann_id}
    status, review = await dana.api("GET", f"/api/sessions/{sid}/timeline?groups=ceremony")
    assert status == 200
    said = [x["summary"] for x in review["entries"]]
    assert "Ben said no to showing their certificate" in said
    assert "dana showed Ann's graduation certificate to everyone" in said
    kinds = [e.kind for e in await server.services.log.read(sid) if e.kind.startswith("ceremony")]
    assert kinds == [
        "ceremony.started",
        "ceremony.asked",
        "ceremony.asked",
        "ceremony.answered",
        "ceremony.answered",
        "ceremony.honoured",
        "ceremony.ended",
    ]
