"""Short-lived TURN credentials (the TURN REST scheme coturn checks with ``use-auth-secret``).

The username is ``<expiry unix time>:<participant id>`` and the credential is
base64(HMAC-SHA1(shared secret, username)); coturn recomputes it from the same
secret and refuses it once the expiry has passed, so nothing is stored.
Participant ids are random (imr_live.domain.ids), so coturn's logs name nobody.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from imr_live.errors import ConfigError

SCHEMES = ("turn:", "turns:", "stun:", "stuns:")
DEFAULT_TTL_S = 3600


@dataclass(frozen=True, slots=True)
class IceServer:
    """One entry of a browser's ``RTCConfiguration.iceServers``."""

    urls: tuple[str, ...]
    """turn:/turns: URLs sharing these credentials."""
    username: str
    """``<expiry unix time>:<participant id>``."""
    credential: str
    """base64(HMAC-SHA1(secret, username))."""

    def as_dict(self) -> dict[str, Any]:
        """The entry as the wire carries it (``RTCIceServer`` shape)."""
        return {"urls": list(self.urls), "username": self.username, "credential": self.credential}


def credential_for(secret: str, username: str) -> str:
    """The TURN REST password of ``username`` under the shared ``secret``."""
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TurnCredentials:
    """Issues per-participant TURN credentials that expire after ``ttl_s``."""

    def __init__(
        self,
        urls: Sequence[str],
        secret: str,
        ttl_s: int = DEFAULT_TTL_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        bad = [u for u in urls if not u.startswith(SCHEMES)]
        if not urls or bad:
            raise ConfigError(f"TURN URLs must start with turn: or turns: (got {bad or 'none'})")
        if len(secret) < 16:
            raise ConfigError("the TURN shared secret must have at least 16 characters")
        self.urls = tuple(urls)
        self._secret = secret
        self.ttl_s = ttl_s
        self._clock = clock

    def issue(self, participant_id: str) -> IceServer:
        """Credentials for one participant, valid for ``ttl_s`` from now."""
        expiry = int(self._clock()) + self.ttl_s
        username = f"{expiry}:{participant_id}"
        return IceServer(self.urls, username, credential_for(self._secret, username))

    def ice_servers(self, participant_id: str) -> list[dict[str, Any]]:
        """The ``ice_servers`` list given to an admitted participant."""
        return [self.issue(participant_id).as_dict()]


def turn_credentials(
    urls: Sequence[str], secret: str | None, ttl_s: int = DEFAULT_TTL_S
) -> TurnCredentials | None:
    """Credentials from the config: None when no TURN is set, an error when half set."""
    if not urls and not secret:
        return None
    if not secret:
        raise ConfigError("IMR_TURN_URLS needs IMR_TURN_SECRET (coturn's static-auth-secret)")
    return TurnCredentials(urls, secret, ttl_s)
