"""Screen shares as media identities of their own: `<participant>~screen`.

A participant's shared screen or window is published through its own publishing
connection under a pseudo-participant id. The id cannot clash with a real one
(`~` is not allowed in ids) and names its owner, so private groups, private mode
and recording treat the share exactly like the owner's camera, and nobody
subscribes to their own share.
"""

from __future__ import annotations

SCREEN_SUFFIX = "~screen"


def screen_id(pid: str) -> str:
    """The media identity of `pid`'s screen share."""
    return pid + SCREEN_SUFFIX


def is_screen(pid: str) -> bool:
    """True for a screen share's media identity."""
    return pid.endswith(SCREEN_SUFFIX)


def owner_of(pid: str) -> str:
    """The participant a media identity belongs to (itself for a real participant)."""
    return pid.removesuffix(SCREEN_SUFFIX)


def is_media_only(pid: str) -> bool:
    """True for a media identity with no browser behind it (a screen share or a clip)."""
    return "~" in pid
