"""What the live channel needs from the curriculum (decks, slides, role plays)."""

from __future__ import annotations

from typing import Any, Protocol


class ScriptLibrary(Protocol):
    """Session-script content addressed by stable ids."""

    def deck(self, script_ref: str) -> list[str]:
        """Slide ids of a script session, in order; NotFound if the ref is unknown."""

    def slide(self, slide_id: str) -> dict[str, Any]:
        """A slide's content as broadcast (id, title, points, questions, html)."""

    def role_play(self, role_play_id: str) -> dict[str, Any]:
        """A role play: id, title, scenario, roles [{name, description}], steps [{kind, text}]."""
