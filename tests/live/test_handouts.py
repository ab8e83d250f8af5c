"""A lead shows a handout's pages in the room like slides; a late joiner sees the page.

Dana uploads a three-page PDF and shows page 1, then page 2. Ann (in the room)
receives each page and may now fetch its picture with her own link; Ben, who
comes late, finds page 2 in his snapshot. Ann may not show a handout. Clearing it
brings the script's slide back; showing a slide puts the handout away too. Every
change is a log row.
"""

from __future__ import annotations

import aiohttp

from tests.http.test_handouts import form, pdf_of
from tests.live.harness import Server, Staff, guest
from tests.live.test_whole_session import admit_all, first_script


async def uploaded(dana: Staff, sid: str, pages: int, title: str) -> str:
    status, body = await dana.api(
        "POST", f"/api/sessions/{sid}/handouts", data=form(pdf_of(pages), "h.pdf", title=title)
    )
    assert status == 201, body
    return str(body["handout"]["id"])


async def test_the_room_follows_the_handout_and_a_late_joiner_sees_its_page(
    server: Server,
) -> None:
    dana = await server.staff("dana")
    eve = await server.staff("eve")
    ref, _slides, _play = first_script(server)
    sid = (await dana.create_session(script_ref=ref))["id"]
    other = (await eve.create_session())["id"]
    hid = await uploaded(dana, sid, 3, "Coping skills")
    elsewhere = await uploaded(eve, other, 1, "Not this one")
    leader = await dana.connect(sid)
    await leader.ok("join")
    ann_token = await dana.invite(sid)
    ann = await guest(server, ann_token)
    (ann_id,) = await admit_all(leader, [ann], ["Ann"])
    await leader.ok("slide.show", {"index": 0})

    assert (await ann.call("handout.show", {"handout": hid}))["error"]["code"] == "forbidden"
    assert (await leader.call("handout.show", {"handout": elsewhere}))["error"][
        "code"
    ] == "not_found"
    too_far = await leader.call("handout.show", {"handout": hid, "page": 4})
    assert too_far["error"]["code"] == "invalid"
    assert (await leader.call("handout.clear"))["error"]["code"] == "out_of_order"

    first = await leader.ok("handout.show", {"handout": hid})
    assert (first["page"], first["pages"]) == (1, 3)
    shown = await ann.wait_event("handout.shown", handout=hid, page=1)
    assert shown["data"] == {"handout": hid, "title": "Coping skills", "page": 1, "pages": 3}
    async with aiohttp.ClientSession(base_url=server.url) as http:
        resp = await http.get(
            f"/api/handouts/{hid}/pages/1.png", headers={"X-Join-Token": ann_token}
        )
        assert resp.status == 200 and resp.headers["Content-Type"] == "image/png"
    await leader.ok("handout.show", {"handout": hid, "page": 2})
    await ann.wait_event("handout.shown", handout=hid, page=2)

    ben = await guest(server, await dana.invite(sid))
    await admit_all(leader, [ben], ["Ben"])
    snapshot = (await ben.ok("join"))["state"]
    assert snapshot["handout"] == {"handout": hid, "title": "Coping skills", "page": 2, "pages": 3}
    assert snapshot["slide"]["index"] == 0  # still there under the handout

    await leader.ok("handout.clear")
    await ann.wait_event("handout.cleared")
    assert (await ben.ok("join"))["state"]["handout"] is None
    await leader.ok("handout.show", {"handout": hid, "page": 3})
    await leader.ok("slide.show", {"index": 1})
    await ben.wait_event("slide.shown", index=1)
    assert (await ben.ok("join"))["state"]["handout"] is None

    rows = [
        (e.actor, e.kind, e.data)
        for e in await server.services.log.read(sid)
        if e.kind.startswith("handout.")
    ]
    assert rows == [
        (
            dana.id,
            "handout.shown",
            {"handout": hid, "title": "Coping skills", "page": 1, "pages": 3},
        ),
        (
            dana.id,
            "handout.shown",
            {"handout": hid, "title": "Coping skills", "page": 2, "pages": 3},
        ),
        (dana.id, "handout.cleared", {}),
        (
            dana.id,
            "handout.shown",
            {"handout": hid, "title": "Coping skills", "page": 3, "pages": 3},
        ),
    ]
    assert ann_id not in {actor for actor, _k, _d in rows}
    status, review = await dana.api("GET", f"/api/sessions/{sid}/timeline?groups=slides")
    assert status == 200
    said = [x["summary"] for x in review["entries"] if x["kind"].startswith("handout.")]
    assert said[:3] == [
        "dana showed the handout Coping skills, page 1 of 3",
        "dana showed the handout Coping skills, page 2 of 3",
        "dana put the handout away",
    ]
