"""Where pyVoIP's SIP messages go: to whoever sent the request, not always to one peer.

pyVoIP 1.6 sends every message to the one SIP server it was made with (``VoIPPhone(server,
port)``): its answers to a second caller's INVITE (180, 200) went to the first peer, so the
second caller never heard back and gave up after its retransmissions. RFC 3261 (18.2.2)
sends a response to the address in the request's top ``Via`` (its ``received``/``rport``
when present); a request inside a call goes to the party that started it. ``Routed``
stands in for pyVoIP's sending socket and does that, using pyVoIP's own message parser.
Requests that start something (a dial-out INVITE) still go to the configured peer, the
clinic's trunk.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import Any

log = logging.getLogger("imr_live.phone")

Address = tuple[str, int]


class Routed:
    """pyVoIP's SIP socket with RFC 3261 routing of responses and in-call requests."""

    def __init__(self, sock: socket.socket, message_type: Any) -> None:
        self._sock = sock
        self._parse = message_type
        """pyVoIP's ``SIPMessage`` (parses the messages pyVoIP wrote)."""
        self._parties: dict[str, Address] = {}
        """Call-ID → where the other party of a call that came in listens."""
        self._lock = threading.Lock()

    def sendto(self, data: bytes, default: Address) -> int:
        return self._sock.sendto(data, self.where(data, default))

    def where(self, data: bytes, default: Address) -> Address:
        """The address ``data`` (one SIP message) goes to; ``default`` for new requests."""
        try:
            message = self._parse(data)
            call_id = str(message.headers.get("Call-ID", ""))
            if message.type.name == "RESPONSE":
                via = message.headers["Via"][0]
                host = str(via.get("received") or via["address"][0])
                port = int(via.get("rport") or via["address"][1])
                method = message.headers.get("CSeq", {}).get("method")
                with self._lock:
                    if method == "INVITE":
                        self._parties[call_id] = (host, port)
                    elif method == "BYE":  # the caller hung up: the call is over
                        self._parties.pop(call_id, None)
                return host, port
            with self._lock:
                party = self._parties.get(call_id)
                if message.method == "BYE":
                    self._parties.pop(call_id, None)
            return party or default
        except Exception:  # not a message pyVoIP can read back: leave it as it was
            log.debug("phone gateway: SIP message sent to the configured peer", exc_info=True)
            return default

    def close(self) -> None:
        self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def cancel_for(invite: str) -> str:
    """The CANCEL of an INVITE this gateway wrote (RFC 3261 9.1).

    Request-URI, the top Via (the same branch), From, To, Call-ID and the CSeq
    number are those of the INVITE; the method is CANCEL. Built from the text
    pyVoIP generated for us, so nothing received is parsed here.
    """
    head = invite.split("\r\n\r\n", 1)[0].split("\r\n")
    method, uri, version = head[0].split(" ", 2)
    if method != "INVITE":
        raise ValueError("not an INVITE")
    lines = [f"CANCEL {uri} {version}"]
    via_seen = False
    for line in head[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "via" and not via_seen:
            via_seen = True
            lines.append(line)
        elif name in ("max-forwards", "to", "from", "call-id"):
            lines.append(line)
        elif name == "cseq":
            lines.append(f"CSeq: {value.split()[0]} CANCEL")
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines)
