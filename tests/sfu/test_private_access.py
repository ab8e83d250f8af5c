"""aiortc and aioice internals are reached only from `sfu/aiortc_internals/`."""

from __future__ import annotations

from pathlib import Path

from tests.sfu.private_access import (
    defined_private_names,
    foreign_private_names,
    private_uses,
    uses_inside_internals,
    uses_outside_internals,
)


def test_nothing_outside_the_internals_package_reaches_into_aiortc_or_aioice() -> None:
    uses = uses_outside_internals()
    assert not uses, "move these into sfu/aiortc_internals/:\n" + "\n".join(map(str, uses))


def test_the_internals_package_is_where_the_private_uses_are() -> None:
    # Guards the scan itself: if it stopped seeing the package's known uses,
    # the test above would pass for the wrong reason.
    found = {u.what for u in uses_inside_internals()}
    for expected in (
        "._codecs",
        "._nominated",
        "__dict__",
        "from aiortc.rtp import ...",
        "import aioice.ice",
    ):
        assert expected in found, expected


def test_the_scan_flags_every_kind_of_reach(tmp_path: Path) -> None:
    source = tmp_path / "leaky.py"
    source.write_text(
        "import aioice.ice\n"
        "from aiortc.rtp import RtpPacket\n"
        "from aiortc import RTCPeerConnection, rtp\n"
        "class Leg:\n"
        "    def __init__(self, sender):\n"
        "        self._sender = sender\n"
        "    def ssrc(self):\n"
        "        return self._sender._ssrc + self._unknown\n"
        "    def state(self):\n"
        "        return self._sender.__dict__, vars(self._sender), getattr(self, '_tx_srtp')\n"
        "    def key(self):\n"
        "        return '_RTCRtpSender__packet_count'\n"
    )
    own = defined_private_names([source])
    found = sorted(u.what for u in private_uses(source, own, foreign_private_names()))
    assert found == sorted(
        [
            "import aioice.ice",
            "from aiortc.rtp import ...",
            "from aiortc import rtp",
            "._ssrc",
            "._unknown",
            "__dict__",
            "vars()",
            "getattr(..., '_tx_srtp')",
            "'_RTCRtpSender__packet_count'",
        ]
    )


def test_our_own_private_names_are_not_flagged(tmp_path: Path) -> None:
    source = tmp_path / "own.py"
    source.write_text(
        "from aiortc import RTCPeerConnection\n"
        "class Room:\n"
        "    __slots__ = ('_pcs',)\n"
        "    def __init__(self):\n"
        "        self._pcs = [RTCPeerConnection()]\n"
        "    def _count(self):\n"
        "        return len(self._pcs), type(self).__name__\n"
        "def peek(room):\n"
        "    return room._pcs, room._count()\n"
    )
    own = defined_private_names([source])
    assert private_uses(source, own, foreign_private_names()) == []


def test_imr_live_may_use_other_libraries_private_names_but_not_aiortcs(tmp_path: Path) -> None:
    source = tmp_path / "cli.py"
    source.write_text(
        "import argparse\n"
        "def sub(parser: argparse._SubParsersAction, pc) -> object:\n"
        "    return pc._codecs\n"
    )
    found = [u.what for u in private_uses(source, set(), foreign_private_names(), strict=False)]
    assert found == ["._codecs"]
