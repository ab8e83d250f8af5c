"""Client addresses, one rule for HTTP requests and live-channel connections.

The peer's address, or, when the peer is a trusted proxy (``trusted_proxies``),
the right-most X-Forwarded-For entry that is not itself a trusted proxy; entries
left of that are whatever the client wrote, so they are never believed.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any

from imr_live.errors import ConfigError

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(environ: dict[str, Any], trusted_proxies: tuple[str, ...]) -> str:
    """The address an Engine.IO ``environ`` came from (``?`` when it names none).

    Engine.IO's aiohttp driver writes ``REMOTE_ADDR: 127.0.0.1`` for every request,
    so the peer is read from the aiohttp request it passes along.
    """
    request = environ.get("aiohttp.request")
    remote = getattr(request, "remote", None) if request is not None else None
    peer = str(remote or environ.get("REMOTE_ADDR") or "?")
    return behind_proxies(peer, str(environ.get("HTTP_X_FORWARDED_FOR") or ""), trusted_proxies)


def behind_proxies(peer: str, forwarded_for: str, trusted_proxies: tuple[str, ...]) -> str:
    """The client's address given the peer's and the X-Forwarded-For header's value."""
    if not trusted_proxies:
        return peer
    trusted = trusted_networks(trusted_proxies)
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    address = peer
    while _within(address, trusted) and hops:
        address = hops.pop()
    return address


@functools.cache
def trusted_networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    """The trusted proxies' networks; ConfigError for one that is not an address or network."""
    try:
        return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies)
    except ValueError as exc:
        raise ConfigError(f"IMR_TRUSTED_PROXIES: {exc}") from exc


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
