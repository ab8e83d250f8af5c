"""Review pages (HTML) for staff."""

from __future__ import annotations

from aiohttp import web

routes = web.RouteTableDef()


def setup(app: web.Application) -> None:
    """Register the review pages."""
    app.router.add_routes(routes)
