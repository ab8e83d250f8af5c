"""The curriculum package is plain Python: it never pulls in the web or Socket.IO edges."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = ("aiohttp", "socketio", "engineio", "aiortc")


def test_importing_the_curriculum_loads_no_web_or_media_stack() -> None:
    code = (
        "import sys, imr_live.curriculum, imr_live.curriculum.cli\n"
        f"print(sorted(m for m in {FORBIDDEN!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
