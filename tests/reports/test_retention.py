"""An admin deletes a session's recordings: audited, logged in the session, chain intact."""

from __future__ import annotations

from imr_live.domain.roles import StaffRole
from imr_live.reports.audit import AuditLog
from tests.live.harness import Server
from tests.reports.scenario import held_session


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
    assert [e["summary"] for e in timeline["entries"]][-1].endswith(
        "deleted the recordings (2 files)"
    )
    assert timeline["log_verified"] is True
