"""Reports are plain Python: they never import the web stack or the edges."""

from __future__ import annotations

from tests.test_layers import offenders


def test_reports_never_import_the_web_stack() -> None:
    web = ("aiohttp", "socketio", "engineio", "imr_live.edges")
    assert offenders("imr_live/reports", web) == []
