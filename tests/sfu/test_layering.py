"""The SFU stands alone: it never imports the live-session core."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sfu_imports_nothing_from_imr_live() -> None:
    code = (
        "import sys, sfu, sfu.service, sfu.room, sfu.recorder\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] == 'imr_live')\n"
        "print(bad)\n"
        "sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for source in (ROOT / "sfu").rglob("*.py"):
        assert "imr_live" not in source.read_text(), source


def test_aiortc_private_names_appear_only_in_the_internals_module() -> None:
    private = ("._RTCRtp", "._ssrc", "._codecs", "._nominated", "._tx_srtp", "._send_rtcp")
    for source in (ROOT / "sfu").rglob("*.py"):
        if source.name == "aiortc_internals.py":
            continue
        text = source.read_text()
        assert not [p for p in private if p in text], source
