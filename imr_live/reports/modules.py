"""Where a session sits in the curriculum: its (variant, module, session number).

The curriculum is the authority: a ref it knows is placed by its
``ScriptSession`` (variant, module id, number). A ref it does not know (a
script since removed, or a process run without scripts) is placed by the ref
scheme ``[<variant>/]<module>/<n>`` documented in ``Curriculum``, so old logs
still report. Module ids carry their variant (``simplified/coping-with-stress``):
a simplified module is a different module from the core one.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from imr_live.curriculum import Curriculum
from imr_live.errors import NotFound

NO_MODULE = "(no script)"


@dataclass(frozen=True, slots=True)
class Place:
    """A session's (variant, module, session) triple."""

    variant: str | None
    """Variant id (``simplified``, ``targeted``...), None for the core curriculum."""
    module_key: str
    """The module's key within its variant, e.g. ``coping-with-stress``."""
    number: int | None
    """The session's number within the module (None when the ref names none)."""

    @property
    def module_id(self) -> str:
        """The module's curriculum id, ``<variant>/<key>`` in a variant."""
        return f"{self.variant}/{self.module_key}" if self.variant else self.module_key


@functools.lru_cache(maxsize=4096)
def place_of(script_ref: str | None, curriculum: Curriculum | None = None) -> Place | None:
    """The place of ``script_ref`` (None for a session without a script).

    Cached: a loaded curriculum does not change, and program reports place
    every session of every client.
    """
    if not script_ref:
        return None
    if curriculum is not None:
        try:
            session = curriculum.session(script_ref)
            module = curriculum.module(session.module_id)
        except NotFound:
            pass
        else:
            return Place(module.variant, module.key, session.number)
    return _by_scheme(script_ref)


def _by_scheme(script_ref: str) -> Place:
    """A place read off the ref scheme, for refs the curriculum does not hold."""
    parts = script_ref.split("/")
    number = int(parts[-1]) if len(parts) > 1 and parts[-1].isdigit() else None
    if number is not None:
        parts = parts[:-1]
    variant = parts[0] if len(parts) > 1 else None
    return Place(variant, "/".join(parts[1:]) if variant else parts[0], number)


def module_of(script_ref: str | None, curriculum: Curriculum | None = None) -> str:
    """The module id of a session script reference (``NO_MODULE`` without one)."""
    place = place_of(script_ref, curriculum)
    return place.module_id if place else NO_MODULE


def module_title(module_id: str, curriculum: Curriculum | None = None) -> str:
    """A module's title as people read it (never its slug)."""
    if curriculum is not None:
        try:
            module = curriculum.module(module_id)
        except NotFound:
            pass
        else:
            if module.variant is None:
                return module.title
            return f"{module.title} ({curriculum.variant(module.variant).title})"
    key = module_id.rsplit("/", 1)[-1]
    return key.replace("-", " ").capitalize()


def module_sessions(module_id: str, curriculum: Curriculum | None) -> list[str] | None:
    """Every session ref of a module, in order (None when the curriculum does not hold it)."""
    if curriculum is None:
        return None
    try:
        return [s.ref for s in curriculum.module(module_id).sessions]
    except NotFound:
        return None
