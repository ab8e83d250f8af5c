"""How tests start Debian's Chromium here: the path and the flags (no pytest needed, so a
process inside a network namespace can import it too)."""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium (Playwright's own browser download fails on this machine)."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-loopback-in-peer-connection",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
"""Loopback only, fake camera and microphone, no mDNS names, nothing fetched on its own.
Never add ``--disable-features``: it would replace Playwright's own list."""

AUTOPLAY = "--autoplay-policy=no-user-gesture-required"
"""For pages that must play received sound without a click."""
