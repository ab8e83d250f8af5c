"""A clinician marks a module completed from the live room; the reports count it.

Ben (C-002) comes to ``simplified/practical-facts/1`` and leaves at once, so
his attendance alone does not complete the module. His clinician marks it
completed in the room, naming the module by its key (read in the session's
variant) and giving the reason.
"""

from __future__ import annotations

from tests.live.harness import Server
from tests.reports.scenario import come_in
from tests.reports.test_scale_and_exports import pdf_text

REF, MODULE = "simplified/practical-facts/1", "simplified/practical-facts"
REASON = "Went through the handout one to one"


async def test_a_module_marked_in_the_room_is_completed_in_the_report(server: Server) -> None:
    dana = await server.staff("dana")
    sid = (await dana.create_session(script_ref=REF))["id"]
    ben_token = await dana.invite(sid, "client", client_ref="C-002")
    leader = await dana.connect(sid)
    await leader.ok("join")
    ben, ben_id = await come_in(server, leader, ben_token, "Ben")
    mark = {"participant": ben_id, "module": "practical-facts", "reason": REASON}
    for bad, code in [
        ({**mark, "module": "no-such-module"}, "not_found"),
        ({**mark, "reason": "   "}, "invalid"),
        ({**mark, "participant": dana.id}, "invalid"),  # staff, not a client
    ]:
        assert (await leader.call("module.complete", bad))["error"]["code"] == code, bad
    assert (await ben.call("module.complete", mark))["error"]["code"] == "forbidden"
    marked = await leader.ok("module.complete", mark)
    await ben.ok("leave")
    await leader.ok("session.end")

    logged = [e for e in await server.services.log.read(sid) if e.kind == "module.completed"]
    assert [(e.seq, e.actor, e.data) for e in logged] == [
        (marked["seq"], dana.id, {"participant": ben_id, "module": MODULE, "reason": REASON})
    ]
    _, report = await dana.api("GET", "/api/reports/clients/C-002")
    assert report["sessions"][0]["counts"] is False  # he did not stay
    module = next(m for m in report["progress"]["modules"] if m["module"] == MODULE)
    assert (module["completed_by"], module["reason"]) == ("clinician", REASON)
    path = f"/api/reports/clients/C-002/certificate?kind=module&module={MODULE}"
    status, text = await pdf_text(dana, path)
    assert status == 200 and "Ben" in text
