"""HTML pages (jinja2 templates under web/templates) and static browser code."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Register page routes and static files on the application."""
