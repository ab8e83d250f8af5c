"""Sign-in throttling: per name and per client address, the address only from a trusted proxy."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from imr_live.config import from_env
from imr_live.domain.accounts import ADDRESS_MAX_FAILURES
from imr_live.errors import ConfigError
from tests.live.harness import PASSWORD, Server, start_server


async def sign_in(
    http: aiohttp.ClientSession, username: str, password: str, forwarded_for: str | None = None
) -> int:
    """POST /api/login; the status."""
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    body = {"username": username, "password": password}
    async with http.post("/api/login", json=body, headers=headers) as resp:
        await resp.read()
        return resp.status


async def test_wrong_guesses_at_other_names_do_not_lock_a_staff_member_out(
    server: Server,
) -> None:
    await server.staff("dana")
    async with aiohttp.ClientSession(base_url=server.url) as http:
        # Someone at the same address (a shared clinic NAT, or the proxy) guesses at names.
        for name in ("admin", "root", "eve", "nobody", "sam", "kim"):
            assert await sign_in(http, name, "wrong password") == 401
        assert await sign_in(http, "dana", PASSWORD) == 200


async def test_one_address_guessing_many_names_is_paused_but_not_the_others(
    tmp_path: Path,
) -> None:
    server = await start_server(tmp_path, trusted_proxies=("127.0.0.1",))
    try:
        await server.staff("dana")
        attacker, colleague = "203.0.113.9", "198.51.100.7"
        async with aiohttp.ClientSession(base_url=server.url) as http:
            for i in range(ADDRESS_MAX_FAILURES):
                assert await sign_in(http, f"guess{i}", "wrong password", attacker) == 401
            assert await sign_in(http, "dana", PASSWORD, attacker) == 429
            assert await sign_in(http, "dana", PASSWORD, colleague) == 200
    finally:
        await server.stop()


async def test_forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy(
    server: Server,
) -> None:
    await server.staff("dana")
    async with aiohttp.ClientSession(base_url=server.url) as http:
        # A client that names a new address each time is still one address.
        for i in range(ADDRESS_MAX_FAILURES):
            assert await sign_in(http, f"guess{i}", "wrong password", f"192.0.2.{i}") == 401
        assert await sign_in(http, "dana", PASSWORD, "192.0.2.200") == 429


async def test_an_unknown_name_costs_the_same_password_hash_as_a_known_one(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    await server.staff("dana")
    calls: list[int] = []
    real_scrypt = hashlib.scrypt

    def counting_scrypt(*args: Any, **kwargs: Any) -> bytes:
        calls.append(1)
        return real_scrypt(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counting_scrypt)
    async with aiohttp.ClientSession(base_url=server.url) as http:
        assert await sign_in(http, "dana", "wrong password") == 401
        known = len(calls)
        assert await sign_in(http, "no-such-person", "wrong password") == 401
        unknown = len(calls) - known
    assert known == unknown == 1


def test_trusted_proxies_must_be_addresses_or_networks() -> None:
    config = from_env({"IMR_TRUSTED_PROXIES": "10.0.0.10,10.1.0.0/16"})
    assert config.trusted_proxies == ("10.0.0.10/32", "10.1.0.0/16")
    with pytest.raises(ConfigError, match="IMR_TRUSTED_PROXIES"):
        from_env({"IMR_TRUSTED_PROXIES": "the-load-balancer"})
