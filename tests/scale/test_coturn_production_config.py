"""The shipped production coturn config refuses to relay to loopback and private peers."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aioice import stun
from aioice.turn import TurnClientUdpProtocol

from imr_live.config import REPO_ROOT
from imr_live.domain.turn import TurnCredentials
from tests.scale.coturn import Coturn

PRODUCTION = REPO_ROOT / "deploy" / "coturn" / "turnserver.conf"
# Settings that name the production machine; the test gives its own.
MACHINE_KEYS = {
    "listening-ip",
    "relay-ip",
    "external-ip",
    "listening-port",
    "tls-listening-port",
    "static-auth-secret",
    "realm",
    "cert",
    "pkey",
    "log-file",
    "pidfile",
}


def production_lines() -> list[str]:
    lines = [ln.strip() for ln in PRODUCTION.read_text().splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


class ProductionCoturn(Coturn):
    """coturn run with the shipped config, moved onto loopback without TLS."""

    def config_text(self) -> str:
        kept = [ln for ln in production_lines() if ln.split("=", 1)[0] not in MACHINE_KEYS]
        return "\n".join([*kept, *self.machine_lines(), "no-tls", ""])


def test_the_production_config_denies_the_cve_2020_26262_addresses() -> None:
    lines = production_lines()
    assert "allow-loopback-peers" not in lines
    denied = {ln.split("=", 1)[1] for ln in lines if ln.startswith("denied-peer-ip=")}
    assert {"::1", "0.0.0.0-0.255.255.255", "127.0.0.0-127.255.255.255"} <= denied
    # coturn 4.6 reads an all-zero entry as "any": it would refuse every peer.
    assert not denied & {"::", "::-::", "0:0:0:0:0:0:0:0"}
    assert "use-auth-secret" in lines and "no-cli" in lines


@pytest.fixture
def production_coturn(tmp_path: Path) -> Iterator[Coturn]:
    if shutil.which("turnserver") is None:
        pytest.skip("coturn is not installed (apt-get install coturn)")
    server = ProductionCoturn(tmp_path / "coturn")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def allocation(production_coturn: Coturn) -> AsyncIterator[TurnClientUdpProtocol]:
    """A TURN allocation made with freshly issued credentials."""
    issued = TurnCredentials([production_coturn.url], production_coturn.secret).issue("p_peer")
    server = ("127.0.0.1", production_coturn.port)
    _transport, protocol = await asyncio.get_running_loop().create_datagram_endpoint(
        lambda: TurnClientUdpProtocol(server, issued.username, issued.credential, 600, 300),
        remote_addr=server,
    )
    await protocol.connect()
    try:
        yield protocol
    finally:
        await protocol.delete()


async def refused_with(protocol: TurnClientUdpProtocol, channel: int, host: str) -> int | None:
    """The error code coturn answers a channel binding to ``host`` with (None: accepted)."""
    try:
        await protocol.channel_bind(channel, (host, 9))
    except stun.TransactionFailed as exc:
        return int(exc.response.attributes["ERROR-CODE"][0])
    return None


async def test_relaying_to_loopback_private_and_metadata_addresses_is_forbidden(
    allocation: TurnClientUdpProtocol,
) -> None:
    forbidden = ["127.0.0.1", "0.0.0.0", "10.1.2.3", "192.168.1.10", "169.254.169.254"]
    for n, host in enumerate(forbidden):
        assert await refused_with(allocation, 0x4000 + n, host) == 403, host
    assert await refused_with(allocation, 0x4100, "1.1.1.1") is None
