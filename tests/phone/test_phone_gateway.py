"""The phone gateway on loopback: SIPp places the call, the test is the phone's audio.

SIPp (Debian's ``sip-tester``) does the SIP side of the caller; its INVITE names this
test's UDP port for media, so the test hears what the gateway sends (G.711 u-law RTP)
and speaks into the call (a 1 kHz tone, RFC 4733 key presses) itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import shutil
import socket
import struct
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import av
import pytest

from imr_live.phone.gateway import GatewayConfig, PhoneGateway
from tests.conftest import free_udp_port
from tests.live.harness import LiveClient, Server, Staff, start_server
from tests.live.test_media_over_live_channel import SocketPeer
from tests.sfu.conftest import eventually

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop

pytest.importorskip("pyVoIP", reason="pip install 'imr-live[phone]'")
if shutil.which("sipp") is None:
    pytest.skip("needs SIPp (apt-get install sip-tester)", allow_module_level=True)

HERE = Path(__file__).parent
KEY = "phone-gateway-key-" + "k" * 20
PIN = "246810"


def goertzel_share(pcm: bytes, freq: float, rate: int = 8000) -> float:
    """How much of a chunk's energy is at ``freq`` (0..1)."""
    samples = struct.unpack(f"<{len(pcm) // 2}h", pcm)
    n = len(samples)
    total = sum(s * s for s in samples)
    if total == 0:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for s in samples:
        s1, s2 = s + coeff * s1 - s2, s1
    power = s1 * s1 + s2 * s2 - coeff * s1 * s2
    return min(1.0, 2 * power / (n * total))


class Phone(asyncio.DatagramProtocol):
    """The caller's handset: hears the gateway's RTP, sends a tone and key presses."""

    def __init__(self, tone_hz: int = 1000) -> None:
        self.heard: list[bytes] = []  # decoded 16-bit PCM, one RTP packet each
        self.transport: asyncio.DatagramTransport | None = None
        self.gateway: tuple[str, int] | None = None
        self.seq = random.randint(0, 1000)
        self.ts = random.randint(0, 10000)
        self.ssrc = random.randint(1, 2**31)
        self.talking = False
        self._tone = audioop.lin2ulaw(
            struct.pack(
                "<160h",
                *(int(6000 * math.sin(2 * math.pi * tone_hz * i / 8000)) for i in range(160)),
            ),
            2,
        )

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.gateway = addr  # the gateway's RTP port for this call (from its SDP answer)
        if len(data) > 12 and data[1] & 0x7F == 0:
            self.heard.append(audioop.ulaw2lin(data[12:], 2))

    def error_received(self, exc: Exception) -> None:
        pass  # the gateway's RTP port closes when the call ends

    def loud(self, share_at: float | None = None, share: float = 0.6) -> int:
        """Packets heard with sound (and ``share`` of it at ``share_at`` Hz, when given)."""
        return sum(
            1
            for pcm in self.heard
            if audioop.rms(pcm, 2) > 300
            and (share_at is None or goertzel_share(pcm, share_at) > share)
        )

    def _send(self, pt: int, payload: bytes, marker: bool = False, advance: bool = True) -> None:
        assert self.transport is not None and self.gateway is not None
        header = struct.pack(
            "!BBHII", 0x80, (0x80 if marker else 0) | pt, self.seq & 0xFFFF, self.ts, self.ssrc
        )
        self.seq += 1
        self.transport.sendto(header + payload, self.gateway)
        if advance:
            self.ts += 160

    async def talk(self) -> None:
        """A tone (1 kHz unless told) every 20 ms while ``talking``."""
        while True:
            await asyncio.sleep(0.02)
            if self.talking and self.gateway is not None:
                self._send(0, self._tone)

    async def press(self, keys: str) -> None:
        """RFC 4733 telephone events, one key after another."""
        for key in keys:
            event = "0123456789*#".index(key)
            for i in range(3):
                end = 0x80 if i == 2 else 0
                self._send(
                    101, struct.pack("!BBH", event, end | 10, 800), marker=i == 0, advance=False
                )
                await asyncio.sleep(0.02)
            self.ts += 800
            await asyncio.sleep(0.15)


def free_udp_ports(count: int) -> int:
    """The first of ``count`` consecutive UDP ports free on loopback."""
    for _ in range(50):
        low = random.randint(30000, 60000)
        socks = []
        try:
            for port in range(low, low + count):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free UDP port range")


@contextlib.asynccontextmanager
async def gateway_for(
    server: Server, rtp_ports: int = 1, **settings: Any
) -> AsyncIterator[tuple[PhoneGateway, int]]:
    sipp_port = free_udp_port()
    rtp = free_udp_ports(rtp_ports)
    config = GatewayConfig(
        server=server.url,
        gateway_key=KEY,
        sip_port=free_udp_port(),
        peer_port=sipp_port,
        rtp_low=rtp,
        rtp_high=rtp + rtp_ports - 1,
        **settings,
    )
    gateway = PhoneGateway(config)
    await gateway.start()
    try:
        yield gateway, sipp_port
    finally:
        await gateway.stop()


@contextlib.asynccontextmanager
async def caller(
    gateway: PhoneGateway, sipp_port: int, scenario: str, hold_ms: int = 0, tone_hz: int = 1000
) -> AsyncIterator[tuple[Phone, asyncio.subprocess.Process]]:
    """A SIPp caller from ``sipp_port`` (its own SIP port: each caller is its own UAC)."""
    loop = asyncio.get_running_loop()
    rtp_port = free_udp_port()
    transport, phone = await loop.create_datagram_endpoint(
        lambda: Phone(tone_hz), local_addr=("127.0.0.1", rtp_port), family=socket.AF_INET
    )
    talker = asyncio.create_task(phone.talk())
    args = ["sipp", f"127.0.0.1:{gateway.config.sip_port}", "-sf", str(HERE / scenario)]
    args += ["-m", "1", "-p", str(sipp_port), "-i", "127.0.0.1", "-mi", "127.0.0.1"]
    args += ["-key", "rtp_port", str(rtp_port), "-nostdin", "-timeout", "90s"]
    if hold_ms:
        args += ["-d", str(hold_ms)]
    sipp = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        yield phone, sipp
    finally:
        if sipp.returncode is None:
            sipp.kill()
            await sipp.wait()
        talker.cancel()
        transport.close()


async def session_with_phone_pin(server: Server) -> tuple[LiveClient, str, str]:
    """dana leads a session; Pat's link has the phone PIN. Returns leader, session, Pat's id."""
    leader, sid, pids = await session_with_phone_pins(server, [(PIN, "Pat")])
    return leader, sid, pids[0]


async def session_with_phone_pins(
    server: Server, pins: list[tuple[str, str]], clinician: Staff | None = None, **session: Any
) -> tuple[LiveClient, str, list[str]]:
    """dana leads a session; one client link per (PIN, name). Returns leader, session, ids."""
    clinician = clinician or await server.staff("dana")
    sid = (await clinician.create_session(script_ref="recovery-strategies/1", **session))["id"]
    leader = await clinician.connect(sid)
    await leader.ok("join")
    pids = []
    for pin, name in pins:
        status, invites = await clinician.api(
            "POST", f"/api/sessions/{sid}/invites", json={"role": "client"}
        )
        assert status == 201
        pid = str(invites["invite"]["id"])
        status, body = await clinician.api(
            "PUT",
            f"/api/sessions/{sid}/invites/{pid}/phone",
            json={"pin": pin, "display_name": name},
        )
        assert status == 200, body
        pids.append(pid)
    return leader, sid, pids


async def test_a_wrong_pin_is_refused_out_loud_and_the_gateway_hangs_up(tmp_path: Path) -> None:
    server = await start_server(tmp_path, sfu=True, phone_gateway_key=KEY)
    try:
        leader, sid, _pid = await session_with_phone_pin(server)
        async with (
            gateway_for(server, pin_tries=1) as (gateway, sipp_port),
            caller(gateway, sipp_port, "gateway_hangs_up.xml") as (phone, sipp),
        ):
            await eventually(lambda: phone.loud() > 10, 30, "the welcome prompt")
            await phone.press("999999#")
            _, err = await asyncio.wait_for(sipp.communicate(), 60)
            assert sipp.returncode == 0, err.decode()  # it got the gateway's BYE
            spoken = phone.loud()
            assert spoken > 100, "welcome and refusal were spoken"
        joined = [e for e in await server.services.log.read(sid) if e.kind == "participant.joined"]
        assert len(joined) == 1, "only the leader came in"
        await leader.close()
    finally:
        await server.stop()


class ListeningPeer(SocketPeer):
    """The leader's media peer, which also measures how loud each publisher is."""

    def __init__(self, client: LiveClient, pid: str) -> None:
        super().__init__(client, pid)
        self.loud_frames: dict[str, int] = {}
        self.loudness: dict[str, list[bool]] = {}
        """Per publisher: whether each decoded audio frame had sound."""

    def quiet_lately(self, publisher: str, frames: int = 25) -> bool:
        recent = self.loudness.get(publisher, [])[-frames:]
        return len(recent) == frames and not any(recent)

    async def _consume(self, track: Any, mid: str | None) -> None:
        from aiortc.mediastreams import MediaStreamError

        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            publisher = self.mids.get(mid or "", "?")
            if isinstance(frame, av.AudioFrame):
                pcm = bytes(frame.planes[0])[: frame.samples * 2 * len(frame.layout.channels)]
                loud = audioop.rms(pcm, 2) > 300
                self.loudness.setdefault(publisher, []).append(loud)
                if loud:
                    self.loud_frames[publisher] = self.loud_frames.get(publisher, 0) + 1


async def test_a_caller_with_the_right_pin_waits_is_admitted_and_talks_with_the_room(
    tmp_path: Path,
) -> None:
    server = await start_server(tmp_path, sfu=True, phone_gateway_key=KEY)
    try:
        leader, _sid, pid = await session_with_phone_pin(server)
        lead_peer = ListeningPeer(leader, (await leader.ok("join"))["you"]["id"])
        try:
            await lead_peer.join()
            await lead_peer.publish(None, speaking=True)  # a 440 Hz tone
            async with (
                gateway_for(server) as (gateway, sipp_port),
                caller(gateway, sipp_port, "caller_hangs_up.xml", hold_ms=25000) as (phone, sipp),
            ):
                await eventually(lambda: phone.loud() > 10, 30, "the welcome prompt")
                await phone.press(PIN + "#")
                await phone.press("1")  # yes to recording
                joined = await leader.wait_event("participant.joined", participant=pid)
                assert joined["data"]["display_name"] == "Pat"
                assert joined["data"]["via"] == "phone" and joined["data"]["waiting"] is True
                await leader.wait_event("consent.set", participant=pid)
                await leader.ok("waiting.admit", {"participant": pid})
                state = (await leader.ok("join"))["state"]
                person = next(p for p in state["people"] if p["id"] == pid)
                assert person["via"] == "phone" and person["display_name"] == "Pat"

                phone.talking = True
                await eventually(
                    lambda: phone.loud(share_at=440) > 25, 30, "the caller hears the leader's tone"
                )
                await eventually(
                    lambda: lead_peer.loud_frames.get(pid, 0) > 25,
                    30,
                    "the leader hears the caller",
                )
                await phone.press("*9")
                await leader.wait_event("hand.raised", participant=pid)

                await phone.press("*6")
                await eventually(lambda: lead_peer.quiet_lately(pid), 30, "the caller muted")
                await phone.press("*6")
                await eventually(lambda: not lead_peer.quiet_lately(pid, 5), 30, "unmuted again")

                shown = await leader.ok("slide.show", {"index": 1})
                title = (await leader.ok("join"))["state"]["slide"]["content"]["title"]
                assert shown and title
                await phone.press("*1")
                said = gateway.prompts.said
                await eventually(lambda: f"The slide is: {title}" in said, 30, "the slide's title")

                _, err = await asyncio.wait_for(sipp.communicate(), 90)
                assert sipp.returncode == 0, err.decode()
                await leader.wait_event("participant.left", participant=pid)
        finally:
            await lead_peer.close()  # a failure leaves no socket to the next test
    finally:
        await server.stop()


async def test_two_callers_at_once_each_with_their_own_pin_talk_with_the_room(
    tmp_path: Path,
) -> None:
    """Two SIPp callers, each its own SIP user agent (own port), dial in at the same time."""
    server = await start_server(tmp_path, sfu=True, phone_gateway_key=KEY)
    try:
        leader, sid, (pat, sam) = await session_with_phone_pins(
            server, [(PIN, "Pat"), ("135799", "Sam")]
        )
        lead_peer = ListeningPeer(leader, (await leader.ok("join"))["you"]["id"])
        try:
            await lead_peer.join()
            await lead_peer.publish(None, speaking=True)  # a 440 Hz tone
            async with (
                gateway_for(server, rtp_ports=4) as (gateway, _sipp_port),
                caller(gateway, free_udp_port(), "caller_hangs_up.xml", hold_ms=30000) as (
                    pat_phone,
                    pat_sipp,
                ),
                caller(
                    gateway, free_udp_port(), "caller_hangs_up.xml", hold_ms=34000, tone_hz=1500
                ) as (
                    sam_phone,
                    sam_sipp,
                ),
            ):
                await eventually(lambda: pat_phone.loud() > 10, 30, "Pat hears the welcome prompt")
                await eventually(lambda: sam_phone.loud() > 10, 30, "Sam hears the welcome prompt")
                assert pat_phone.gateway != sam_phone.gateway, "each call has its own RTP port"
                await asyncio.gather(pat_phone.press(PIN + "#"), sam_phone.press("135799#"))
                await asyncio.gather(pat_phone.press("1"), sam_phone.press("2"))
                for pid, name in ((pat, "Pat"), (sam, "Sam")):
                    joined = await leader.wait_event("participant.joined", participant=pid)
                    assert (
                        joined["data"]["display_name"] == name and joined["data"]["via"] == "phone"
                    )
                    await leader.wait_event("consent.set", participant=pid)
                    await leader.ok("waiting.admit", {"participant": pid})

                pat_before, sam_before = len(pat_phone.heard), len(sam_phone.heard)
                await eventually(
                    lambda: pat_phone.loud(share_at=440) > 25 and sam_phone.loud(share_at=440) > 25,
                    30,
                    "both callers hear the leader's tone",
                )
                assert len(pat_phone.heard) > pat_before and len(sam_phone.heard) > sam_before
                pat_phone.talking = sam_phone.talking = True
                await eventually(
                    lambda: (
                        lead_peer.loud_frames.get(pat, 0) > 25
                        and lead_peer.loud_frames.get(sam, 0) > 25
                    ),
                    30,
                    "the leader hears both callers",
                )
                await eventually(
                    lambda: pat_phone.loud(share_at=1500, share=0.2) > 10, 30, "Pat hears Sam"
                )
                # (the room mix is every track but the caller's own: Pat's 1 kHz is not in it)
                assert pat_phone.loud(share_at=1000, share=0.2) == 0, "Pat does not hear himself"

                for sipp in (pat_sipp, sam_sipp):
                    _, err = await asyncio.wait_for(sipp.communicate(), 90)
                    assert sipp.returncode == 0, err.decode()
                await leader.wait_event("participant.left", participant=pat)
                await leader.wait_event("participant.left", participant=sam)
            left = [e for e in await server.services.log.read(sid) if e.kind == "participant.left"]
            assert {e.data["participant"] for e in left} >= {pat, sam}, (
                "each hang-up is logged for its person"
            )
        finally:
            await lead_peer.close()  # a failure leaves no socket to the next test
    finally:
        await server.stop()
