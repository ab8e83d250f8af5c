"""Typed keys of the aiohttp application's state."""

from __future__ import annotations

import socketio
from aiohttp import web

from imr_live.services import Services

SERVICES = web.AppKey("services", Services)
SIO = web.AppKey("sio", socketio.AsyncServer)
