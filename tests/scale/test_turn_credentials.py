"""TURN REST credentials: the format coturn checks, and the config that turns them on."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from imr_live.config import from_env
from imr_live.domain.turn import TurnCredentials, turn_credentials
from imr_live.errors import ConfigError

SECRET = "a-shared-secret-of-some-length"
URLS = ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"]


def test_credentials_name_the_expiry_and_participant_and_sign_the_username() -> None:
    turn = TurnCredentials(URLS, SECRET, ttl_s=3600, clock=lambda: 1_700_000_000.7)
    server = turn.issue("p_3f9a0c1b2d4e")
    assert server.username == "1700003600:p_3f9a0c1b2d4e"
    expected = hmac.new(SECRET.encode(), server.username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(server.credential) == expected
    assert turn.ice_servers("p_3f9a0c1b2d4e") == [
        {"urls": URLS, "username": server.username, "credential": server.credential}
    ]


def test_each_participant_gets_its_own_credentials() -> None:
    turn = TurnCredentials(URLS, SECRET, clock=lambda: 1_700_000_000)
    assert turn.issue("p_a").credential != turn.issue("p_b").credential


def test_turn_is_off_unless_configured_and_refuses_half_a_configuration() -> None:
    assert turn_credentials((), "") is None
    with pytest.raises(ConfigError):
        turn_credentials(URLS, "")
    with pytest.raises(ConfigError):
        turn_credentials(("http://turn.example.org",), SECRET)
    with pytest.raises(ConfigError):
        turn_credentials(URLS, "short")


def test_turn_settings_come_from_the_environment() -> None:
    config = from_env(
        {
            "IMR_TURN_URLS": ",".join(URLS),
            "IMR_TURN_SECRET": SECRET,
            "IMR_TURN_TTL_S": "900",
        }
    )
    assert config.turn_urls == tuple(URLS)
    assert config.turn_secret == SECRET
    assert config.turn_ttl_s == 900
    with pytest.raises(ConfigError):
        from_env({"IMR_TURN_TTL": "900"})
