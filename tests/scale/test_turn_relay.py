"""Clients behind strict NATs reach the SFU only through coturn, with credentials we issued."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aioice
import pytest
from aioice.turn import TurnClientUdpProtocol
from aiortc import (
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCIceTransportPolicy,
    RTCPeerConnection,
    RTCSessionDescription,
)

from imr_live.domain.turn import TurnCredentials, credential_for
from tests.live.harness import LiveClient, Server, start_server
from tests.live.test_media_over_live_channel import SocketPeer
from tests.live.test_permissions import admitted_guest
from tests.scale.coturn import Coturn
from tests.sfu.conftest import ColourTrack, eventually


class RelayPeer(SocketPeer):
    """A participant whose ICE may use only the TURN relay the server gave it."""

    def __init__(self, client: LiveClient, pid: str, ice_servers: list[dict[str, Any]]) -> None:
        super().__init__(client, pid)
        self.configuration = RTCConfiguration(
            iceServers=[RTCIceServer(**s) for s in ice_servers],
            iceTransportPolicy=RTCIceTransportPolicy.RELAY,
            bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
        )

    async def publish(self, colour: str | None, **_: Any) -> None:
        """Publish a coloured video over a relay-only connection."""
        assert colour is not None
        pc = self.pub_pc = RTCPeerConnection(self.configuration)
        pc.addTransceiver(ColourTrack(colour), direction="sendonly")
        await pc.setLocalDescription(await pc.createOffer())
        reply = await self.send({"type": "publish", "sdp": pc.localDescription.sdp})
        await pc.setRemoteDescription(RTCSessionDescription(sdp=reply["sdp"], type="answer"))

    async def _answer(self, event: dict[str, Any]) -> None:
        if event["new_pc"] or self.sub_pc is None:
            old, self.sub_pc = self.sub_pc, RTCPeerConnection(self.configuration)
            self.sub_pc.on("track", self._on_track)
            if old is not None:
                await old.close()
            event = {**event, "new_pc": False}
        await super()._answer(event)


def candidate_types(pc: RTCPeerConnection) -> set[str]:
    """Types of the local ICE candidates a connection gathered."""
    return {
        c.type
        for t in pc.getTransceivers()
        for c in t.sender.transport.transport.iceGatherer.getLocalCandidates()
    }


async def relay_candidates(coturn: Coturn, username: str, password: str) -> list[str]:
    """The relay candidates aioice obtains from coturn with these credentials."""
    conn = aioice.Connection(
        ice_controlling=True,
        turn_server=("127.0.0.1", coturn.port),
        turn_username=username,
        turn_password=password,
        transport_policy=aioice.TransportPolicy.RELAY,
    )
    try:
        await conn.gather_candidates()
        return [c.type for c in conn.local_candidates]
    finally:
        await conn.close()


async def test_coturn_allocates_for_fresh_credentials_and_refuses_expired_ones(
    coturn: Coturn,
) -> None:
    fresh = TurnCredentials([coturn.url], coturn.secret, ttl_s=600).issue("p_fresh")
    assert await relay_candidates(coturn, fresh.username, fresh.credential) == ["relay"]

    expired = TurnCredentials([coturn.url], coturn.secret, ttl_s=-60).issue("p_late")
    assert await relay_candidates(coturn, expired.username, expired.credential) == []

    wrong = credential_for("not-the-shared-secret", fresh.username)
    assert await relay_candidates(coturn, fresh.username, wrong) == []


@pytest.fixture
async def turn_server(
    tmp_path: Path, coturn: Coturn, request: pytest.FixtureRequest
) -> AsyncIterator[Server]:
    ttl = getattr(request, "param", 3600)
    srv = await start_server(
        tmp_path, sfu=True, turn_urls=(coturn.url,), turn_secret=coturn.secret, turn_ttl_s=ttl
    )
    try:
        yield srv
    finally:
        await srv.stop()


async def leader_and_guest(
    server: Server,
) -> tuple[LiveClient, str, dict[str, Any], LiveClient, str]:
    """A leader in the room and an admitted guest; returns the leader's welcome too."""
    clinician = await server.staff("dana")
    sid = (await clinician.create_session(format="individual"))["id"]
    leader = await clinician.connect(sid)
    welcome = await leader.ok("join")
    client, client_id = await admitted_guest(server, leader, await clinician.invite(sid), "Ann")
    return leader, clinician.id, welcome, client, client_id


def admitted_ice_servers(client: LiveClient) -> list[dict[str, Any]]:
    """The ice_servers of the guest's ``admitted`` message."""
    found = [d for n, d in client.received if n == "admitted"]
    assert found, client.received
    servers: list[dict[str, Any]] = found[-1]["ice_servers"]
    return servers


async def test_a_relay_only_client_sees_and_is_seen_through_coturn(
    turn_server: Server, coturn: Coturn
) -> None:
    leader, leader_id, welcome, client, client_id = await leader_and_guest(turn_server)
    ice = admitted_ice_servers(client)
    assert ice[0]["urls"] == [coturn.url]
    expiry, named = ice[0]["username"].split(":")
    assert named == client_id and 3500 < int(expiry) - time.time() <= 3600
    assert ice[0]["credential"] == credential_for(coturn.secret, ice[0]["username"])
    assert welcome["ice_servers"][0]["username"].endswith(f":{leader_id}")

    seen = SocketPeer(leader, leader_id)
    relayed = RelayPeer(client, client_id, ice)
    try:
        for peer, colour in ((seen, "red"), (relayed, "blue")):
            await peer.join()
            await peer.publish(colour)
        await eventually(lambda: relayed.video_frames_from(leader_id) > 10, what="Ann sees red")
        await eventually(lambda: seen.video_frames_from(client_id) > 10, what="leader sees Ann")
        assert set(relayed.colours[leader_id]) == {"red"}
        assert set(seen.colours[client_id]) == {"blue"}
        assert relayed.pub_pc is not None and relayed.sub_pc is not None
        assert candidate_types(relayed.pub_pc) == {"relay"}
        assert candidate_types(relayed.sub_pc) == {"relay"}
    finally:
        for peer in (seen, relayed):
            await peer.close()


@pytest.mark.parametrize("turn_server", [-60], indirect=True)
async def test_expired_credentials_leave_a_relay_only_client_without_media(
    turn_server: Server,
) -> None:
    *_, client, client_id = await leader_and_guest(turn_server)
    ice = admitted_ice_servers(client)
    assert int(ice[0]["username"].split(":")[0]) < time.time()

    relayed = RelayPeer(client, client_id, ice)
    try:
        await relayed.join()
        await relayed.publish("blue")
        pc = relayed.pub_pc
        assert pc is not None
        # coturn refused the allocation, so there is nothing to offer (aiortc
        # then never starts ICE; a browser reports the connection as failed).
        assert candidate_types(pc) == set()
        assert "a=candidate" not in pc.localDescription.sdp
        assert pc.iceConnectionState != "completed"
    finally:
        await relayed.close()


async def test_a_running_allocation_outlives_its_credentials(
    coturn: Coturn,
) -> None:
    issued = TurnCredentials([coturn.url], coturn.secret, ttl_s=4).issue("p_long")
    server = ("127.0.0.1", coturn.port)
    _transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(server, issued.username, issued.credential, 600, 300),
        remote_addr=server,
    )
    await protocol.connect()
    try:
        expiry = int(issued.username.split(":")[0])
        while time.time() <= expiry + 0.5:
            await asyncio.sleep(0.1)
        # coturn checks the expiry when an allocation is made, not on refreshes
        # or new peers of a running one: a session may outlast its credentials.
        await protocol.channel_bind(0x4000, ("127.0.0.1", 9))
    finally:
        await protocol.delete()
