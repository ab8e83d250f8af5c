"""Socket.IO frames as the live channel accepts them: anything else becomes a refusable event.

python-socketio raises (and Engine.IO logs a traceback) on a malformed frame, and
hands a client event named ``connect`` or ``disconnect`` to the server's own
connection handlers. ``GuardedPacket`` is the documented serializer hook: it
decodes what a browser sends, and turns every other frame into an event named
``MALFORMED`` or ``RESERVED`` that the catch-all handler refuses with an ack.
"""

from __future__ import annotations

import re
from typing import Any

from socketio import packet

MALFORMED = "\x00malformed"
"""Event name given to a frame that could not be read."""
RESERVED = "\x00reserved"
"""Event name given to a client event that used a name the server reserves."""
RESERVED_NAMES = frozenset({"connect", "disconnect", "connect_error", "message"})
MAX_DEPTH = 12
"""Deepest nesting of lists and objects an event may carry."""
_ID = re.compile(r"^\d(?:/[^,]*,)?(\d{1,15})")
_CLIENT_TYPES = frozenset({packet.CONNECT, packet.DISCONNECT, packet.EVENT, packet.ACK})


class GuardedPacket(packet.Packet):  # type: ignore[misc]  # python-socketio ships no types
    """A Socket.IO packet whose decoding never raises and never forwards reserved names."""

    uses_binary_events = False

    def decode(self, encoded_packet: Any) -> int:
        """Decode a client frame; refusable events stand in for unreadable ones."""
        if not isinstance(encoded_packet, str):
            return self._refuse(MALFORMED, "binary frames are not accepted", "")
        try:
            super().decode(encoded_packet)
        except (ValueError, TypeError, IndexError, RecursionError):
            return self._refuse(MALFORMED, "the frame is not valid Socket.IO JSON", encoded_packet)
        if self.packet_type not in _CLIENT_TYPES:
            return self._refuse(MALFORMED, "this frame type is not accepted", encoded_packet)
        if self.packet_type == packet.EVENT:
            self._check_event(encoded_packet)
        return 0

    def _check_event(self, encoded: str) -> None:
        data = self.data
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            self._refuse(MALFORMED, "an event needs a name", encoded)
        elif data[0] in RESERVED_NAMES:
            self._refuse(RESERVED, f"'{data[0]}' is a reserved name", encoded)
        elif _depth(data) > MAX_DEPTH:
            self._refuse(MALFORMED, f"the event nests deeper than {MAX_DEPTH} levels", encoded)

    def _refuse(self, name: str, reason: str, encoded: str) -> int:
        self.packet_type = packet.EVENT
        self.data = [name, reason]
        found = _ID.match(encoded)
        self.id = int(found.group(1)) if found else None
        namespace = getattr(self, "namespace", None)
        if not isinstance(namespace, str):
            self.namespace = "/"
        return 0


def _depth(value: Any, level: int = 0) -> int:
    """How deeply lists and objects nest in ``value`` (stops counting past MAX_DEPTH)."""
    if level > MAX_DEPTH:
        return level
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    return level


def printable(name: Any, limit: int = 40) -> str:
    """An event name as it may appear in a log line: no control characters, bounded."""
    text = name if isinstance(name, str) else type(name).__name__
    return text[:limit].encode("unicode_escape").decode("ascii")
