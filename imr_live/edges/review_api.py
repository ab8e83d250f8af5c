"""Supervisor review and program reports over HTTP."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register review and report routes on the application."""
