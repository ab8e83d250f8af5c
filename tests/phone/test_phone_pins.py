"""Phone PINs on join links: set by a lead, stored as a keyed hash, traded only by the gateway."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.live.harness import start_server
from tests.test_cli import run

KEY = "phone-gateway-key-" + "k" * 20


async def test_a_lead_sets_a_pin_and_only_the_gateway_can_trade_it_for_the_link(
    tmp_path: Path,
) -> None:
    server = await start_server(tmp_path, phone_gateway_key=KEY)
    try:
        dana = await server.staff("dana")
        sid = (await dana.create_session())["id"]
        status, made = await dana.api(
            "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}
        )
        pid, token = made["invite"]["id"], made["token"]
        path = f"/api/sessions/{sid}/invites/{pid}/phone"
        status, body = await dana.api("PUT", path, json={"pin": "12ab", "display_name": "Pat"})
        assert status == 400 and "6 to 10 digits" in body["error"]["message"]
        status, _ = await dana.api("PUT", path, json={"pin": "135790", "display_name": "Pat"})
        assert status == 200
        rows = await server.services.db.fetch("SELECT * FROM phone_pins")
        assert len(rows) == 1 and "135790" not in str(rows[0]), "only a hash is stored"

        status, other = await dana.api(
            "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}
        )
        other_path = f"/api/sessions/{sid}/invites/{other['invite']['id']}/phone"
        status, body = await dana.api(
            "PUT", other_path, json={"pin": "135790", "display_name": "Sam"}
        )
        assert status == 409 and body["error"]["code"] == "pin_taken"

        eve = await server.staff("eve")
        status, _ = await eve.api("PUT", path, json={"pin": "999999", "display_name": "Eve"})
        assert status in (403, 404)

        gateway = dana.http  # any HTTP session; what counts is the key it shows
        for key, pin, expected in (
            ("wrong-key", "135790", 401),
            (KEY, "000000", 401),
            (KEY, "135790", 200),
        ):
            resp = await gateway.post(
                "/api/phone/pin", json={"pin": pin}, headers={"Authorization": f"Bearer {key}"}
            )
            body = await resp.json()
            assert resp.status == expected, body
        assert body == {"token": token, "display_name": "Pat"}

        await dana.api("DELETE", f"/api/sessions/{sid}/invites/{pid}")
        resp = await gateway.post(
            "/api/phone/pin", json={"pin": "135790"}, headers={"Authorization": f"Bearer {KEY}"}
        )
        assert resp.status == 401, "a turned-off link's PIN no longer works"
    finally:
        await server.stop()


def test_the_phone_command_needs_the_gateway_key(tmp_path: Path) -> None:
    # In a process of its own: the command line puts its traceback limit on every log
    # handler, which in pytest's process hid later tests' tracebacks (CI).
    done = run(tmp_path, "phone", "--sip-port", "5070", env={"IMR_PHONE_GATEWAY_KEY": ""})
    assert done.returncode == 2 and "PHONE_GATEWAY_KEY" in done.stderr, done.stderr


def test_the_sip_receive_loop_ends_quietly_when_stop_closed_its_socket() -> None:
    """CI: pyVoIP's receive thread read its socket after ``stop`` closed it (EBADF) and
    died with a traceback; a failure while the client still runs is not hidden."""
    from imr_live.phone.gateway import _ending_quietly

    class Sip:
        NSD = True

        def recv_loop(self) -> None:
            raise OSError(9, "Bad file descriptor")

    sip = Sip()
    loop = _ending_quietly(sip)
    with pytest.raises(OSError):
        loop()
    sip.NSD = False  # stop() ran
    loop()


async def test_calling_a_phone_refuses_bad_input_clearly_and_logs_nothing(tmp_path: Path) -> None:
    server = await start_server(tmp_path, phone_gateway_key=KEY)
    try:
        dana = await server.staff("dana")
        sid = (await dana.create_session())["id"]
        leader = await dana.connect(sid)
        await leader.ok("join")
        _, made = await dana.api("POST", f"/api/sessions/{sid}/invites", json={"role": "client"})
        pid = made["invite"]["id"]
        path = f"/api/sessions/{sid}/invites/{pid}/phone/call"

        status, body = await dana.api("POST", path, json={"number": "call 0207-ABC"})
        assert status == 400 and body["error"]["code"] == "bad_number"
        assert "0207" not in body["error"]["message"], "the refusal does not repeat the number"
        status, body = await dana.api("POST", path, json={"number": "+44 20 7946 0000"})
        assert status == 503 and body["error"]["code"] == "no_phone_gateway"
        assert "no phone gateway" in body["error"]["message"]

        eve = await server.staff("eve")  # a clinician, but not a lead of this session
        status, _ = await eve.api("POST", path, json={"number": "+44 20 7946 0000"})
        assert status in (403, 404)
        anonymous = await dana.http.post(
            path, json={"number": "+442079460000"}, headers={"Authorization": ""}
        )
        assert anonymous.status == 401

        kinds = [ev.kind for ev in await server.services.log.read(sid)]
        assert not [k for k in kinds if k.startswith("phone.")], "nothing placed, nothing logged"
        await leader.close()
    finally:
        await server.stop()


async def test_a_call_is_placed_only_from_a_live_session_and_an_unreachable_gateway_fails_it(
    tmp_path: Path,
) -> None:
    server = await start_server(
        tmp_path, phone_gateway_key=KEY, phone_gateway_url="http://127.0.0.1:9"
    )
    try:
        dana = await server.staff("dana")
        sid = (await dana.create_session())["id"]
        _, made = await dana.api("POST", f"/api/sessions/{sid}/invites", json={"role": "client"})
        path = f"/api/sessions/{sid}/invites/{made['invite']['id']}/phone/call"
        status, body = await dana.api(
            "POST", path, json={"number": "+442079460000", "display_name": "Pat"}
        )
        assert status == 409 and "live session" in body["error"]["message"]

        leader = await dana.connect(sid)
        await leader.ok("join")
        status, body = await dana.api(
            "POST", path, json={"number": "+442079460000", "display_name": "Pat"}
        )
        assert status == 200, body
        outcome = await leader.wait_event("phone.call_outcome", call=body["call"])
        assert outcome["data"]["outcome"] == "failed", "no gateway listening there"
        await leader.close()
    finally:
        await server.stop()
