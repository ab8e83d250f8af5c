"""Fixtures for scale-out tests: a real coturn per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.scale.coturn import Coturn


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[Coturn]:
    """coturn with a random static-auth-secret on a free loopback port."""
    if shutil.which("turnserver") is None:
        pytest.skip("coturn is not installed (apt-get install coturn)")
    server = Coturn(tmp_path / "coturn")
    server.start()
    try:
        yield server
    finally:
        server.stop()
