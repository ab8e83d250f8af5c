"""Where the pages, the curriculum and the browser libraries are: in the wheel or the checkout.

An installed wheel carries them inside the ``imr_live`` package (``setup.py``
copies them there at build time, using ``SHIPPED``); a checkout, editable
install included, reads them where they are kept in the repository. This
module uses the standard library only, so the build can run it before the
project's dependencies exist.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT = PACKAGE.parent
"""The repository root when running from a checkout (meaningless in an installed wheel)."""

SHIPPED: dict[str, str] = {
    "web": "web",
    "session_scripts": "session_scripts",
    "vendor/socket.io-client": "node_modules/socket.io-client/dist",
    "vendor/chart.js/chart.umd.min.js": "node_modules/chart.js/dist/chart.umd.min.js",
    "vendor/chart.js/LICENSE.md": "node_modules/chart.js/LICENSE.md",
    "vendor/socket.io-client/LICENSE": "node_modules/socket.io-client/LICENSE",
}
"""Place inside the installed package -> place in the checkout, for every shipped file or folder."""


def shipped(place: str) -> Path:
    """The installed copy of a ``SHIPPED`` place when there is one, else the checkout's."""
    installed = PACKAGE / place
    return installed if installed.exists() else CHECKOUT / SHIPPED[place]


WEB_DIR = shipped("web")
"""Templates (``templates/``) and browser code (``static/``)."""
SCRIPTS_DIR = shipped("session_scripts")
"""The shipped IMR curriculum."""
SOCKET_IO_CLIENT_DIR = shipped("vendor/socket.io-client")
"""socket.io-client's browser builds, served at ``/static/vendor/``."""
CHART_JS = shipped("vendor/chart.js/chart.umd.min.js")
"""Chart.js for the review pages."""
