"""A leader steps through a session script; clients receive its slides and role plays."""

from __future__ import annotations

from tests.live.harness import Server
from tests.live.test_permissions import admitted_guest


async def test_leader_steps_through_the_agenda_and_clients_follow(server: Server) -> None:
    curriculum = server.services.scripts.curriculum  # type: ignore[union-attr]
    script = curriculum.modules[0].sessions[0]
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(script_ref=script.ref))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    client, client_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")

    for index, slide in enumerate(script.slides):
        await leader.ok("slide.show", {"index": index})
        shown = await client.wait_event("slide.shown", slide_id=slide.id)
        assert shown["data"]["index"] == index
        assert shown["data"]["count"] == len(script.slides)
        assert shown["content"]["title"] == slide.title
        assert slide.title in shown["content"]["html"]

    for play in script.role_plays:
        role = next(r.name for r in play.roles if r.name == "client")
        await leader.ok("roleplay.start", {"role_play_id": play.id, "cast": {role: client_id}})
        started = await client.wait_event("roleplay.started")
        assert started["data"]["scenario"] == play.scenario
        assert started["data"]["cast"] == {role: client_id}
        assert [s["text"] for s in started["data"]["steps"]] == [s.text for s in play.steps]
        for step in range(1, len(play.steps)):
            await leader.ok("roleplay.step", {"step": step})
            await client.wait_event("roleplay.stepped", step=step)
        await leader.ok("roleplay.end")
        await client.wait_event("roleplay.ended")

    homework = script.home_assignment
    await leader.ok(
        "assignment.give", {"participant": client_id, "text": homework.text, "ref": homework.id}
    )
    given = await client.wait_event("assignment.given", ref=homework.id)
    assert given["data"]["text"] == homework.text
    kinds = [e.kind for e in await server.services.log.read(sid)]
    assert kinds.count("slide.shown") == len(script.slides)
    assert kinds.count("roleplay.started") == len(script.role_plays)
