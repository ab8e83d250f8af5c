"""Private group mode in the SFU: which publisher's media a subscriber may receive.

The app says who is "open" (leads, supervisors, interpreters: they see and are seen
by everyone) and which group members chose to show themselves. Everyone else is a
group member: in private mode no group member's media reaches another group member,
except their voice when the lead lets the group hear each other. Anyone the app has
not named yet counts as a group member, so a newcomer is hidden until said otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PrivacyPolicy:
    """One room's private group mode, as the app last set it."""

    on: bool = False
    voices: bool = True
    """Whether group members hear each other (their video is never forwarded to each other)."""
    open: frozenset[str] = frozenset()
    """Participants who see and are seen by everyone (leads, supervisors, interpreters)."""
    shown: frozenset[str] = frozenset()
    """Group members who chose to show themselves to the group."""

    def forwards(self, publisher: str, subscriber: str, kind: str) -> bool:
        """True when ``publisher``'s ``kind`` track may be forwarded to ``subscriber``."""
        if not self.on or publisher == subscriber:
            return True
        if subscriber in self.open or publisher in self.open or publisher in self.shown:
            return True
        return kind == "audio" and self.voices


OFF = PrivacyPolicy()
"""No private mode: every track is forwarded."""
