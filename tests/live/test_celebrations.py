"""Celebrations: offered by a lead, shown to the room only after the client's own yes."""

from __future__ import annotations

from imr_live.domain.celebrations import GOAL_TITLE
from tests.live.harness import Server, guest
from tests.live.test_whole_session import admit_all, first_script


async def test_the_room_celebrates_only_what_the_client_agreed_to(server: Server) -> None:
    clinician = await server.staff("dana")
    ref, _slides, _play = first_script(server)
    sid = (await clinician.create_session(script_ref=ref))["id"]
    module = server.services.scripts.curriculum.session(ref).module_id  # type: ignore[union-attr]
    title = server.services.scripts.curriculum.module(module).title  # type: ignore[union-attr]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    ann, ben = [await guest(server, await clinician.invite(sid)) for _ in range(2)]
    ann_id, ben_id = await admit_all(leader, [ann, ben], ["Ann", "Ben"])

    # Nothing to celebrate yet: the module is not marked completed for Ann.
    early = await leader.call("celebration.offer", {"participant": ann_id, "module": module})
    assert early["error"]["code"] == "not_found"
    await leader.ok("module.complete", {"participant": ann_id, "module": module, "reason": "Done"})
    offer = await leader.ok("celebration.offer", {"participant": ann_id, "module": module})
    cid = offer["celebration_id"]
    asked = await ann.wait_event("celebration.offered", celebration_id=cid)
    assert asked["data"]["title"] == title and asked["data"]["what"] == "module"
    # A reload keeps the question on Ann's screen; Ben neither sees it nor may answer it.
    assert [o["celebration_id"] for o in (await ann.ok("join"))["state"]["celebration_offers"]] == [
        cid
    ]
    assert (await ben.ok("join"))["state"]["celebration_offers"] == []
    assert (await ben.call("celebration.answer", {"celebration_id": cid, "yes": True}))["error"][
        "code"
    ] == "forbidden"
    await ann.ok("celebration.answer", {"celebration_id": cid, "yes": True})
    shown = await ben.wait_event("celebration.answered", celebration_id=cid)
    assert shown["data"] == {
        "participant": ann_id,
        "celebration_id": cid,
        "yes": True,
        "what": "module",
        "title": title,
    }
    again = await ann.call("celebration.answer", {"celebration_id": cid, "yes": True})
    assert again["error"]["code"] == "not_found"

    # A goal reached: Ann says no, so only the staff (and Ann) hear it.
    goal = (await leader.ok("goal.note", {"participant": ann_id, "goal": "Walk each day"}))[
        "goal_id"
    ]
    not_yet = await leader.call("celebration.offer", {"participant": ann_id, "goal_id": goal})
    assert not_yet["error"]["code"] == "not_found"
    await leader.ok("goal.update", {"participant": ann_id, "goal_id": goal, "status": "achieved"})
    wrong = await leader.call("celebration.offer", {"participant": ben_id, "goal_id": goal})
    assert wrong["error"]["code"] == "not_found"
    cid2 = (await leader.ok("celebration.offer", {"participant": ann_id, "goal_id": goal}))[
        "celebration_id"
    ]
    offered = await ann.wait_event("celebration.offered", celebration_id=cid2)
    assert offered["data"]["title"] == GOAL_TITLE  # the goal's own words stay private
    await ann.ok("celebration.answer", {"celebration_id": cid2, "yes": False})
    await leader.wait_event("celebration.answered", celebration_id=cid2, yes=False)
    # Ben's last message is Ann's first celebration: the offer and the "no" never reached him.
    await ben.ok("chat.send", {"text": "Well done"})
    await ben.wait_event("chat.sent")
    assert [e["data"]["celebration_id"] for e in ben.events("celebration.answered")] == [cid]
    assert ben.events("celebration.offered") == []
    kinds = [e.kind for e in await server.services.log.read(sid) if e.kind.startswith("celeb")]
    assert kinds == ["celebration.offered", "celebration.answered"] * 2
