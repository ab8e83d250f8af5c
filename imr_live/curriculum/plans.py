"""Plans: which sessions a client or group runs, in what order, and open enrollment.

A plan names module *keys* (``coping-with-stress``) and optionally a variant;
its sessions are then that variant's (``simplified/coping-with-stress/1``).

Open enrollment: a group cycles through its modules and new members may join at
any time. A newcomer first does the entry module (Recovery Strategies: what
recovery means and setting a recovery goal), then joins the group at its
current module and goes round the cycle until every module is done. If the
group is in the entry module when they join, they simply join it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, Protocol

from imr_live.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from imr_live.curriculum.models import Module
    from imr_live.curriculum.schema import PlanFile

PlanFormat = Literal["individual", "group", "combined"]
ENTRY_MODULE = "recovery-strategies"


class ModuleLookup(Protocol):
    """What a plan needs of the curriculum: modules by reference (``Curriculum`` is one)."""

    def module(self, ref: str) -> Module:
        """The module ``ref`` names; NotFound otherwise."""


@dataclass(frozen=True)
class Enrollment:
    """How a new member of an open-enrollment group goes through the plan."""

    entry_refs: list[str]
    """Sessions the newcomer does first (empty when the group is in the entry module)."""
    join_module: str
    """The group's current module key, where the newcomer joins."""
    module_order: list[str]
    """The newcomer's modules from joining onward, round the cycle, no repeats."""


@dataclass(frozen=True)
class Plan:
    """A named course of sessions for an individual, a group, or both (combined)."""

    id: str
    title: str
    format: PlanFormat
    description: str
    variant: str | None
    module_ids: list[str]
    """Module keys in the order they are run."""
    session_refs: list[str]
    """Every session ref of the plan, in order."""
    open_enrollment: bool
    entry_module: str | None
    """Module a newcomer does first (open enrollment only)."""
    opening: str | None
    """Relaxation exercise id that opens every session, if any."""

    def module_ref(self, key: str) -> str:
        """The full module id of ``key`` in this plan's variant."""
        return f"{self.variant}/{key}" if self.variant else key

    def next_module_for_new_member(self, current_module: str) -> str:
        """The module a newcomer takes next: the entry module, unless the group is in it."""
        enrollment = self.enrollment_for_new_member(current_module)
        return str(self.entry_module) if enrollment.entry_refs else enrollment.join_module

    def enrollment_for_new_member(self, current_module: str) -> Enrollment:
        """The newcomer's path when the group is now in ``current_module``."""
        if not self.open_enrollment or self.entry_module is None:
            raise Conflict(f"plan {self.id} is not open to new members mid-course")
        current = self._key(current_module)
        start = self.module_ids.index(current)
        cycle = self.module_ids[start:] + self.module_ids[:start]
        if current == self.entry_module:
            return Enrollment([], current, cycle)
        entry = self.module_ref(self.entry_module)
        entry_refs = [ref for ref in self.session_refs if ref.rsplit("/", 1)[0] == entry]
        return Enrollment(entry_refs, current, [m for m in cycle if m != self.entry_module])

    def with_module_order(
        self, module_ids: Sequence[str], curriculum: ModuleLookup, *, plan_id: str | None = None
    ) -> Plan:
        """This plan with a per-client or per-group module order (a subset is allowed)."""
        keys = [self._key(m, check=False) for m in module_ids]
        modules = [curriculum.module(self.module_ref(k)) for k in _checked_order(keys)]
        if self.entry_module is not None and self.entry_module not in keys:
            raise InvalidInput(f"an open-enrollment plan must keep {self.entry_module}")
        return replace(
            self,
            id=plan_id or f"{self.id}+custom",
            module_ids=keys,
            session_refs=[s.ref for m in modules for s in m.sessions],
        )

    def _key(self, module: str, *, check: bool = True) -> str:
        """A module key from a key or a full variant module id."""
        prefix = f"{self.variant}/" if self.variant else ""
        key = module.removeprefix(prefix) if prefix else module
        if check and key not in self.module_ids:
            raise NotFound(f"module {module} is not in plan {self.id}")
        return key


def _checked_order(keys: list[str]) -> list[str]:
    """Reject an empty order or one that repeats a module."""
    if not keys:
        raise InvalidInput("a module order needs at least one module")
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InvalidInput(f"module order repeats: {', '.join(repeated)}")
    return keys


def build_plan(file: PlanFile, modules: Sequence[Module], entry_module: str | None) -> Plan:
    """A plan from its file and the resolved modules it runs, in order."""
    return Plan(
        id=file.id,
        title=file.title,
        format=file.format,
        description=file.description,
        variant=file.variant,
        module_ids=[m.key for m in modules],
        session_refs=[s.ref for m in modules for s in m.sessions],
        open_enrollment=file.open_enrollment,
        entry_module=entry_module,
        opening=file.opening,
    )
