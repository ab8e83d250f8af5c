"""Fixtures of the report tests: Chromium for the review pages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import Browser, async_playwright

from tests.chromium import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture
async def chromium(server: Any) -> AsyncIterator[Browser]:
    """Debian Chromium with the web tests' flags, closed before the server stops."""
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()
