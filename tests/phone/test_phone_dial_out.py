"""A lead calls someone's phone from the room: the gateway's INVITE goes to the trunk.

SIPp plays the clinic's trunk and the callee's phone (a UAS); its SDP names this test's
UDP port, so the test hears the gateway and speaks and presses keys as the callee.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from imr_live.domain.roles import StaffRole
from imr_live.phone.gateway import PhoneGateway
from tests.conftest import free_port, free_udp_port
from tests.live.harness import Server, start_server
from tests.phone.test_phone_gateway import (
    HERE,
    KEY,
    PIN,
    ListeningPeer,
    Phone,
    gateway_for,
    session_with_phone_pins,
)
from tests.sfu.conftest import eventually

NUMBER = "+44 20 7946 0000"
DIGITS = "+442079460000"


@contextlib.asynccontextmanager
async def callee(
    gateway: PhoneGateway, scenario: str
) -> AsyncIterator[tuple[Phone, asyncio.subprocess.Process]]:
    """SIPp answering on the gateway's trunk address; the test is the callee's handset."""
    loop = asyncio.get_running_loop()
    rtp_port = free_udp_port()
    transport, phone = await loop.create_datagram_endpoint(
        Phone, local_addr=("127.0.0.1", rtp_port), family=socket.AF_INET
    )
    talker = asyncio.create_task(phone.talk())
    args = ["sipp", "-sf", str(HERE / scenario), "-m", "1", "-p", str(gateway.config.peer_port)]
    args += ["-i", "127.0.0.1", "-mi", "127.0.0.1", "-key", "rtp_port", str(rtp_port)]
    args += ["-nostdin", "-timeout", "90s", "-trace_msg", "-message_file", "/dev/stdout"]
    sipp = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    await asyncio.sleep(0.5)  # SIPp binds its port (not an assertion)
    try:
        yield phone, sipp
    finally:
        if sipp.returncode is None:
            sipp.kill()
            await sipp.wait()
        talker.cancel()
        transport.close()


async def server_with_gateway_url(tmp_path: Path) -> tuple[Server, int]:
    control = free_port()
    server = await start_server(
        tmp_path, sfu=True, phone_gateway_key=KEY, phone_gateway_url=f"http://127.0.0.1:{control}"
    )
    return server, control


async def test_a_lead_calls_a_clients_phone_who_joins_and_talks_with_the_room(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server, control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        leader, sid, (pat,) = await session_with_phone_pins(server, [(PIN, "Pat")], dana)
        lead_peer = ListeningPeer(leader, (await leader.ok("join"))["you"]["id"])
        try:
            await lead_peer.join()
            await lead_peer.publish(None, speaking=True)  # a 440 Hz tone
            async with (
                gateway_for(server, control_port=control) as (gateway, _),
                callee(gateway, "callee_answers.xml") as (phone, sipp),
            ):
                status, body = await dana.api(
                    "POST", f"/api/sessions/{sid}/invites/{pat}/phone/call", json={"number": NUMBER}
                )
                assert status == 200, body
                placed = await leader.wait_event("phone.call_placed", participant=pat)
                assert placed["data"]["call"] == body["call"]
                answered = await leader.wait_event("phone.call_outcome", participant=pat)
                assert answered["data"]["outcome"] == "answered"

                await eventually(lambda: phone.loud() > 10, 30, "the callee hears the greeting")
                await phone.press("1")  # join
                await phone.press("1")  # yes to recording
                joined = await leader.wait_event("participant.joined", participant=pat)
                assert joined["data"]["via"] == "phone" and joined["data"]["waiting"] is True
                assert joined["data"]["display_name"] == "Pat"
                await leader.ok("waiting.admit", {"participant": pat})
                await eventually(
                    lambda: phone.loud(share_at=440) > 25, 30, "the callee hears the leader's tone"
                )
                phone.talking = True
                await eventually(
                    lambda: lead_peer.loud_frames.get(pat, 0) > 25,
                    30,
                    "the leader hears the callee",
                )
                await leader.ok("participant.remove", {"participant": pat})
                _, err = await asyncio.wait_for(sipp.communicate(), 60)
                assert sipp.returncode == 0, err.decode()  # the gateway's BYE reached the trunk
            events = await server.services.log.read(sid)
            text = repr([(ev.kind, ev.data) for ev in events])
            # Every way the number could be written (not its last four digits alone: at DEBUG,
            # aiortc logs RTP sequence numbers and ports, and "7946" came up among them).
            forms = (NUMBER, DIGITS, DIGITS.lstrip("+"), "2079460000", "20 7946 0000")
            assert not [f for f in forms if f in text], "the number is not in the log"
            assert not [f for f in forms if f in caplog.text], "nor in any log line"
        finally:
            await lead_peer.close()  # a failure leaves no socket to the next test
    finally:
        await server.stop()


@pytest.mark.parametrize("caller_role", ["leader", "co-leader", "co-leader by link"])
async def test_a_busy_line_is_logged_as_busy(tmp_path: Path, caller_role: str) -> None:
    server, control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        sam = await server.staff("sam", StaffRole.CO_LEADER)
        leader, sid, (pat,) = await session_with_phone_pins(
            server, [(PIN, "Pat")], dana, co_leader_ids=[sam.id]
        )
        call = f"/api/sessions/{sid}/invites/{pat}/phone/call"
        if caller_role == "co-leader by link":  # a peer specialist with no staff account
            robin = await dana.invite(sid, role="co_leader")
            lead_id, headers = robin.partition(".")[0], {"X-Join-Token": robin}
            api = by_link(server, headers)
        else:
            lead = dana if caller_role == "leader" else sam
            lead_id, api = lead.id, lead.api
        async with (
            gateway_for(server, control_port=control) as (gateway, _),
            callee(gateway, "callee_busy.xml") as (_phone, sipp),
        ):
            status, _body = await api("POST", call, json={"number": DIGITS})
            assert status == 200, _body
            placed = await leader.wait_event("phone.call_placed", participant=pat)
            assert placed["actor"] == lead_id
            outcome = await leader.wait_event("phone.call_outcome", participant=pat)
            assert outcome["data"]["outcome"] == "busy"
            _, err = await asyncio.wait_for(sipp.communicate(), 60)
            assert sipp.returncode == 0, err.decode()  # it got the gateway's ACK
        await leader.close()
    finally:
        await server.stop()


def by_link(server: Server, headers: dict[str, str]) -> Any:
    """``Staff.api``'s shape for someone who proves who they are with a join link."""

    async def api(method: str, path: str, **kw: Any) -> tuple[int, Any]:
        async with (
            aiohttp.ClientSession(base_url=server.url) as http,
            http.request(method, path, headers=headers, **kw) as resp,
        ):
            return resp.status, await resp.json()

    return api


async def test_a_co_leader_by_link_sees_the_links_to_call_and_nobody_else_may_call(
    tmp_path: Path,
) -> None:
    server, _control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        leader, sid, (pat,) = await session_with_phone_pins(server, [(PIN, "Pat")], dana)
        other = (await dana.create_session(title="Other group"))["id"]
        robin = await dana.invite(sid, role="co_leader")
        client = await dana.invite(sid, role="client", client_ref="C-1234")
        elsewhere = await dana.invite(other, role="co_leader")
        invites = f"/api/sessions/{sid}/invites"
        status, body = await by_link(server, {"X-Join-Token": robin})("GET", invites)
        assert status == 200, body
        listed = {i["id"]: i for i in body["invites"]}
        assert listed[pat] == {"id": pat, "role": "client", "revoked": False, "phone_name": "Pat"}
        assert "C-1234" not in repr(body), "a co-leader by link does not see client numbers"

        call = f"{invites}/{pat}/phone/call"
        for token, code in ((client, 403), (elsewhere, 403), (robin + "x", 401)):
            status, body = await by_link(server, {"X-Join-Token": token})(
                "POST", call, json={"number": DIGITS}
            )
            assert status == code, body
            status, body = await by_link(server, {"X-Join-Token": token})("GET", invites)
            assert status == code, body
        await dana.api("DELETE", f"{invites}/{robin.partition('.')[0]}")
        status, body = await by_link(server, {"X-Join-Token": robin})(
            "POST", call, json={"number": DIGITS}
        )
        assert status == 401, "a revoked co-leader link no longer calls"
        kinds = [e.kind for e in await server.services.log.read(sid)]
        assert "phone.call_placed" not in kinds
        await leader.close()
    finally:
        await server.stop()


async def test_a_call_nobody_picks_up_is_cancelled_and_logged_as_not_answered(
    tmp_path: Path,
) -> None:
    server, control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        leader, sid, (pat,) = await session_with_phone_pins(server, [(PIN, "Pat")], dana)
        async with (
            gateway_for(server, control_port=control, ring_s=3.0) as (gateway, _),
            callee(gateway, "callee_never_picks_up.xml") as (_phone, sipp),
        ):
            status, _body = await dana.api(
                "POST", f"/api/sessions/{sid}/invites/{pat}/phone/call", json={"number": DIGITS}
            )
            assert status == 200
            outcome = await leader.wait_event("phone.call_outcome", participant=pat)
            assert outcome["data"]["outcome"] == "no_answer"
            _, err = await asyncio.wait_for(sipp.communicate(), 60)
            # SIPp got the CANCEL, and the ACK of its 487: the phone stops ringing.
            assert sipp.returncode == 0, err.decode()
        await leader.close()
    finally:
        await server.stop()


async def test_a_call_ringing_while_the_server_restarts_still_gets_its_outcome_logged(
    tmp_path: Path,
) -> None:
    """The node that placed the call stops while the phone rings (a deploy, a crash of
    the web process): the gateway's own report reaches the node that took over."""
    control = free_port()
    settings: dict[str, Any] = {
        "sfu": True,
        "phone_gateway_key": KEY,
        "phone_gateway_url": f"http://127.0.0.1:{control}",
    }
    server = await start_server(tmp_path, **settings)
    again: Server | None = None
    try:
        dana = await server.staff("dana")
        leader, sid, (pat,) = await session_with_phone_pins(server, [(PIN, "Pat")], dana)
        async with (
            gateway_for(server, control_port=control, ring_s=4.0) as (gateway, _),
            callee(gateway, "callee_never_picks_up.xml") as (_phone, sipp),
        ):
            status, body = await dana.api(
                "POST", f"/api/sessions/{sid}/invites/{pat}/phone/call", json={"number": DIGITS}
            )
            assert status == 200
            await leader.wait_event("phone.call_placed", participant=pat)
            await server.stop()  # while the phone rings
            again = await start_server(tmp_path, port=int(server.url.rsplit(":", 1)[1]), **settings)
            http = aiohttp.ClientSession(
                base_url=again.url, headers={"Authorization": f"Bearer {dana.token}"}
            )
            again.opened.append(http)
            outcomes: list[dict[str, Any]] = []
            for _ in range(300):
                async with http.get(f"/api/sessions/{sid}/log") as resp:
                    events = (await resp.json())["events"]
                outcomes = [e["data"] for e in events if e["kind"] == "phone.call_outcome"]
                if outcomes:
                    break
                await asyncio.sleep(0.1)
            assert outcomes == [{"participant": pat, "call": body["call"], "outcome": "no_answer"}]
            _, err = await asyncio.wait_for(sipp.communicate(), 60)
            assert sipp.returncode == 0, err.decode()
    finally:
        await (again or server).stop()


async def test_the_gateway_alone_may_report_an_outcome_and_only_for_a_call_placed(
    tmp_path: Path,
) -> None:
    server, _control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        leader, sid, (pat,) = await session_with_phone_pins(server, [(PIN, "Pat")], dana)
        token = server.services.links.token_for(pat)
        report = {"token": token, "outcome": "answered"}
        gateway = {"Authorization": f"Bearer {KEY}"}
        # Staff are not the gateway; a call never placed is not logged.
        status, body = await dana.api("POST", "/api/phone/calls/abc123/outcome", json=report)
        assert status == 401
        status, body = await dana.api(
            "POST", "/api/phone/calls/abc123/outcome", json=report, headers=gateway
        )
        assert status == 404 and body["error"]["code"] == "not_found"
        status, body = await dana.api(
            "POST",
            "/api/phone/calls/abc123/outcome",
            json={"token": token[:-2] + "xx", "outcome": "answered"},
            headers=gateway,
        )
        assert status == 401
        status, body = await dana.api(
            "POST",
            "/api/phone/calls/abc123/outcome",
            json={"token": token, "outcome": "maybe"},
            headers=gateway,
        )
        assert status == 400
        status, log = await dana.api("GET", f"/api/sessions/{sid}/log")
        assert not [e for e in log["events"] if e["kind"] == "phone.call_outcome"]
        await leader.close()
    finally:
        await server.stop()


async def test_a_trunk_that_never_answers_fails_the_call_and_stalls_nothing(
    tmp_path: Path,
) -> None:
    """pyVoIP waited for the trunk's first answer holding its SIP receive lock: a trunk
    that never answered stalled the gateway (the outcome never came, nor any other call)."""
    server, control = await server_with_gateway_url(tmp_path)
    try:
        dana = await server.staff("dana")
        leader, sid, (pat, sam) = await session_with_phone_pins(
            server, [(PIN, "Pat"), ("135799", "Sam")], dana
        )
        async with gateway_for(server, rtp_ports=2, control_port=control) as (_, trunk_port):
            silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            silent.bind(("127.0.0.1", trunk_port))
            silent.setblocking(False)
            try:
                status, _body = await dana.api(
                    "POST", f"/api/sessions/{sid}/invites/{pat}/phone/call", json={"number": DIGITS}
                )
                assert status == 200
                await leader.wait_event("phone.call_placed", participant=pat)
                # Meanwhile another call is placed, and its INVITE goes out too.
                status, _body = await dana.api(
                    "POST", f"/api/sessions/{sid}/invites/{sam}/phone/call", json={"number": NUMBER}
                )
                assert status == 200
                # Timer B: 32 s of silence after the first INVITE.
                outcome = await leader.wait_event("phone.call_outcome", 60, participant=pat)
                assert outcome["data"]["outcome"] == "failed"
                invites: dict[str, int] = {}
                with contextlib.suppress(BlockingIOError):
                    while True:
                        data = silent.recv(8192).decode()
                        if data.startswith("INVITE"):
                            call_id = next(
                                line for line in data.split("\r\n") if line.startswith("Call-ID")
                            )
                            invites[call_id] = invites.get(call_id, 0) + 1
                # Both calls reached the trunk, each INVITE sent again while unanswered.
                assert len(invites) == 2, invites
                assert min(invites.values()) >= 5, invites
            finally:
                silent.close()
        await leader.close()
    finally:
        await server.stop()


def test_a_number_pyvoip_puts_in_a_warning_is_not_shown() -> None:
    # pyVoIP warns "The number '...' was not found" when a trunk answers 404 (and
    # "unavailable" for 503), then resets every warning filter; the gateway's output
    # must still never carry the number.
    script = (
        "import warnings\n"
        "from imr_live.phone.gateway import hide_numbers_in_warnings\n"
        "hide_numbers_in_warnings()\n"
        "hide_numbers_in_warnings()\n"
        "warnings.warn(\"The number '+1 (555) 123-4567' was not found.  Did you call the "
        'wrong number?", stacklevel=2)\n'
        "warnings.simplefilter('default')\n"
        "warnings.warn(\"The number '5550100' was unavailable.\", stacklevel=2)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stderr.count("(number not shown)") == 2, done.stderr
    assert "555" not in done.stderr
