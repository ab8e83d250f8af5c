"""Recordings: staff play consenting participants' files (audited); an admin deletes them."""

from __future__ import annotations

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from tests.live.harness import Server
from tests.reports.scenario import come_in, held_session


async def test_staff_play_only_consenting_participants_recordings(server: Server) -> None:
    dana = await server.staff("dana")
    sid = (await dana.create_session())["id"]
    tokens = [await dana.invite(sid, "client") for _ in range(2)]
    leader = await dana.connect(sid)
    await leader.ok("join")
    _ann, ann = await come_in(server, leader, tokens[0], "Ann")
    ben_client, ben = await come_in(server, leader, tokens[1], "Ben")
    await ben_client.ok("consent.set", {"recording": False})  # Ben changes his mind
    await leader.ok("session.end")
    folder = server.services.config.recordings_dir / sid
    folder.mkdir(parents=True)
    for name in (f"{ann}.audio.webm", f"{ann}.video-2.webm", f"{ben}.video.webm"):
        (folder / name).write_bytes(name.encode())
    (folder / f"{dana.id}.video.webm").write_bytes(b"leader never answered")
    (folder / "notes.txt").write_bytes(b"not a recording")

    status, body = await dana.api("GET", f"/api/sessions/{sid}/recordings")
    assert status == 200
    assert [(f["name"], f["participant"], f["kind"]) for f in body["recordings"]] == [
        (f"{ann}.audio.webm", ann, "audio"),
        (f"{ann}.video-2.webm", ann, "video"),
    ]
    async with dana.http.get(f"/api/sessions/{sid}/recordings/{ann}.video-2.webm") as resp:
        assert resp.status == 200 and await resp.read() == f"{ann}.video-2.webm".encode()
    for hidden in (f"{ben}.video.webm", f"{dana.id}.video.webm", "notes.txt", "..%2Fx.webm"):
        status, body = await dana.api("GET", f"/api/sessions/{sid}/recordings/{hidden}")
        assert status == 404, hidden
    olly = await server.staff("olly")
    assert (await olly.api("GET", f"/api/sessions/{sid}/recordings/{ann}.audio.webm"))[0] == 403
    async with dana.http.get(f"/review/sessions/{sid}/recordings") as resp:
        page = await resp.text()
    assert "Ann: audio" in page and "Ann: video" in page and "Ben" not in page
    rows = await AuditLog(server.services.db).entries()
    assert [(r.account_id, r.action, r.target) for r in rows] == [
        (dana.id, "view.recordings", f"session:{sid}"),
        (dana.id, "play.recording", f"recording:{sid}/{ann}.video-2.webm"),
        (dana.id, "view.recordings", f"session:{sid}"),
    ]


async def test_admin_deletes_recordings_and_the_chain_still_verifies(server: Server) -> None:
    dana = await server.staff("dana")
    session = await held_session(server, dana, [])
    sid = session["id"]
    folder = server.services.config.recordings_dir / sid
    folder.mkdir(parents=True)
    (folder / "p_ann-audio.ogg").write_bytes(b"a" * 100)
    (folder / "p_ann-video.mkv").write_bytes(b"v" * 50)
    sue = await server.staff("sue", StaffRole.SUPERVISOR)
    for staff in (dana, sue):
        status, body = await staff.api("DELETE", f"/api/sessions/{sid}/recordings")
        assert (status, body["error"]["code"]) == (403, "forbidden")
    assert folder.is_dir()
    ada = await server.staff("ada", StaffRole.ADMIN)
    status, body = await ada.api("DELETE", f"/api/sessions/{sid}/recordings")
    assert status == 200 and (body["files"], body["bytes"]) == (2, 150)
    assert not folder.exists()
    last = (await server.services.log.read(sid))[-1]
    assert (last.seq, last.actor, last.kind) == (body["seq"], ada.id, "recording.deleted")
    assert last.data == {"files": 2, "bytes": 150}
    assert (await server.services.log.verify(sid)).ok
    rows = await AuditLog(server.services.db).entries(f"session:{sid}")
    assert [(r.account_id, r.action) for r in rows] == [(ada.id, "delete.recordings")]
    status, body = await ada.api("DELETE", f"/api/sessions/{sid}/recordings")
    assert (status, body["error"]["code"]) == (404, "not_found")
    _, timeline = await ada.api("GET", f"/api/sessions/{sid}/timeline?groups=recording")
    assert timeline["entries"][-1]["summary"] == "ada deleted the recordings (2 files)"
    assert timeline["log_verified"] is True
