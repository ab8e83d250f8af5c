"""Browser fixtures: Debian Chromium over loopback, a fresh profile per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.chromium import AUTOPLAY, CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
async def browser(server: Any) -> AsyncIterator[Browser]:
    """A fresh Chromium (own temporary profile), closed before the server stops."""
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def media_browser(media_server: Any) -> AsyncIterator[Browser]:
    """Chromium that plays sound without a click; closed before the media server stops."""
    async with async_playwright() as pw:
        args = [*CHROMIUM_ARGS, AUTOPLAY]
        chromium = await pw.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            await chromium.close()
