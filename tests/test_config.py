"""One typed config: every setting from the environment, the SFU's too, listed in the README."""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from pathlib import Path

import pytest

from imr_live.config import SETTINGS, Config, Setting, from_env, settings_table
from imr_live.errors import ConfigError
from sfu.config import IceServer, SfuConfig
from tests.live.harness import start_server

README = Path(__file__).resolve().parent.parent / "README.md"


def other_text(setting: Setting) -> str:
    """Text for ``setting`` that parses to something other than its default."""
    kind = setting.kind
    if isinstance(kind, types.UnionType):  # `X | None`
        kind = next(a for a in typing.get_args(kind) if a is not type(None))
    if kind is bool:
        return "0" if setting.default else "1"
    if kind in (int, float):
        return str(setting.default * 2)
    if kind is Path:
        return "/srv/imr-elsewhere"
    if kind == tuple[IceServer, ...]:
        return "stun:127.0.0.1:3478"
    if setting.name == "crisis_resources":
        return "Clinic crisis line=+1 555 0100"
    return "10.0.0.7" if kind == tuple[str, ...] else "something-else"


def test_every_setting_changes_its_config_field_from_the_environment() -> None:
    config = from_env({s.env: other_text(s) for s in SETTINGS})
    for s in SETTINGS:
        holder = getattr(config, s.section) if s.section else config
        assert getattr(holder, s.attr) != s.default, s.env


def test_every_sfu_setting_reaches_the_sfu_config() -> None:
    sfu_env = [s for s in SETTINGS if s.section or s.name in ("ice_hosts", "recordings_dir")]
    changed = from_env({s.env: other_text(s) for s in sfu_env}).sfu_config()
    default = SfuConfig()
    unchanged = [
        f.name
        for f in dataclasses.fields(SfuConfig)
        if getattr(changed, f.name) == getattr(default, f.name)
    ]
    assert unchanged == []


async def test_the_served_sfu_runs_with_the_settings_given(tmp_path: Path) -> None:
    settings = from_env({"IMR_SFU_VIDEO_BUDGET_KBPS": "900", "IMR_SFU_PACKET_HISTORY": "1024"})
    server = await start_server(tmp_path, sfu=True, sfu_settings=settings.sfu_settings)
    try:
        sfu_config = server.services.sfu.config
        assert (sfu_config.video_budget_kbps, sfu_config.packet_history) == (900, 1024)
        assert sfu_config.recordings_dir == tmp_path / "recordings"
    finally:
        await server.stop()


def test_ice_servers_with_credentials_come_as_json() -> None:
    raw = '[{"url": "turn:127.0.0.1:3478", "username": "u", "credential": "p"}, "stun:127.0.0.1"]'
    servers = from_env({"IMR_SFU_ICE_SERVERS": raw}).sfu_config().ice_servers
    assert servers == (IceServer("turn:127.0.0.1:3478", "u", "p"), IceServer("stun:127.0.0.1"))


@pytest.mark.parametrize(
    ("env", "value", "said"),
    [
        ("IMR_SFU", "maybe", "IMR_SFU"),
        ("PORT", "eighty", "PORT"),
        ("IMR_SFU_ICE_SERVERS", '[{"host": "x"}]', "IMR_SFU_ICE_SERVERS"),
        ("IMR_SFU_PACKET_HISTORY", "500", "power of two"),
        ("IMR_SFU_VIDEO_BUDGET_KBPS", "0", "positive"),
    ],
)
def test_a_bad_value_is_refused_with_a_reason(env: str, value: str, said: str) -> None:
    with pytest.raises(ConfigError, match=said):
        from_env({env: value})


def test_unknown_imr_variables_are_refused_but_the_test_suites_are_not() -> None:
    with pytest.raises(ConfigError, match="IMR_SFU_VIDEO_BUDGET"):
        from_env({"IMR_SFU_VIDEO_BUDGET": "900"})
    config = from_env({"IMR_TEST_PG": "postgresql://x", "IMR_TEST_REDIS": "redis://x"})
    assert config == Config()


def test_data_and_recordings_default_to_the_working_folder() -> None:
    assert not Config().data_dir.is_absolute() and Config().data_dir == Path("data")
    assert Config().recordings_dir == Path("recordings")


def test_the_readme_lists_every_setting_as_the_code_does() -> None:
    match = re.search(
        r"<!-- settings: start.*?-->\n(.*?)\n<!-- settings: end -->", README.read_text(), re.S
    )
    assert match is not None, "README.md has no settings table markers"
    assert match.group(1) == settings_table(), "run `imr-live settings` and paste it in README.md"


def test_crisis_resources_are_name_equals_number() -> None:
    config = from_env({"IMR_CRISIS_RESOURCES": "Crisis line=0800 123,Emergency=112"})
    assert config.crisis_lines() == [("Crisis line", "0800 123"), ("Emergency", "112")]
    assert Config().crisis_lines() == [
        ("988 Suicide & Crisis Lifeline", "988"),
        ("Emergency", "911"),
    ]
    with pytest.raises(ConfigError, match="crisis_resources"):
        from_env({"IMR_CRISIS_RESOURCES": "just a name"})
