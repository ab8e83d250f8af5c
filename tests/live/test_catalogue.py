"""The event catalogue is the one source: docs, the browser's module and its reducer agree."""

from __future__ import annotations

import re
from pathlib import Path

from imr_live.domain import events
from imr_live.domain.live_channel import EDGE_COMMANDS
from imr_live.domain.roles import Role

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "web" / "static" / "js"


def test_docs_events_md_shows_the_catalogue_as_the_code_has_it() -> None:
    text = (ROOT / "docs" / "events.md").read_text()
    found = re.search(r"<!-- catalogue: start -->\n(.*?)<!-- catalogue: end -->", text, re.S)
    assert found is not None, "docs/events.md has no catalogue block"
    assert found.group(1) == events.markdown(), "run: imr-live events md"


def test_the_browser_module_is_generated_from_the_catalogue() -> None:
    assert (JS / "events.js").read_text() == events.browser_module(), "run: imr-live events js"


def test_every_event_the_browser_sends_or_folds_is_catalogued() -> None:
    sent: set[str] = set()
    folded: set[str] = set()
    for path in JS.glob("*.js"):
        code = path.read_text()
        sent |= set(re.findall(r"""\b(?:act|call)\(\s*["']([a-z_]+(?:\.[a-z_]+)?)["']""", code))
        folded |= set(re.findall(r"""^\s*"([a-z]+\.[a-z_]+)":\s*\(""", code, re.M))
    assert sent, "no sent events found: the pattern no longer matches the browser code"
    assert folded, "no folded kinds found: the pattern no longer matches room.js"
    assert sent <= set(events.COMMANDS), sent - set(events.COMMANDS)
    assert folded <= set(events.KINDS), folded - set(events.KINDS)


def test_every_command_names_its_roles_payload_ack_and_kinds() -> None:
    for spec in events.COMMANDS.values():
        assert spec.who and spec.who <= set(Role), spec.name
        assert spec.summary.endswith("."), spec.name
        for kind in spec.kinds:
            assert kind in events.KINDS, (spec.name, kind)
    assert EDGE_COMMANDS <= set(events.COMMANDS)


def test_the_permission_check_comes_from_the_catalogue() -> None:
    assert events.allowed("slide.show", Role.CO_LEADER)
    assert not events.allowed("slide.show", Role.CLIENT)
    assert not events.allowed("session.end", Role.CO_LEADER)
    assert not events.allowed("no.such.event", Role.LEADER)
