"""Payloads for fuzzing the live channel, generated from the catalogue's own models.

One generator for the CI fuzz test (tests/live/test_fuzz.py) and the long run
(bench/live_fuzz.py). Most payloads follow the command's JSON schema (so they reach
the handler and the state checks), naming ids the room knows; the rest break it in
the ways a broken or hostile client does: a field missing, unknown fields, wrong
types, huge or empty strings, deep nesting, not an object at all. Deterministic for
a seed, so a failure can be replayed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from typing import Any

from imr_live.domain.events import CommandSpec


@dataclass
class Known:
    """Ids the room knows, so generated payloads sometimes name real things."""

    people: list[str] = field(default_factory=list)
    assignments: list[str] = field(default_factory=list)
    goals: list[str] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    slides: list[str] = field(default_factory=list)
    role_plays: list[str] = field(default_factory=list)

    def for_field(self, name: str) -> list[str]:
        """Real values a field of this name can take."""
        return {
            "participant": self.people,
            "assignment_id": self.assignments,
            "goal_id": self.goals,
            "deck": self.refs,
            "ref": self.refs,
            "slide_id": self.slides,
            "role_play_id": self.role_plays,
        }.get(name, [])


WEIRD_TEXT = ["", " ", "\n", "\x00", "é" * 61, "<script>", "a\u202eb", "\ud7ff", "😀" * 30, "%s%n"]


class Payloads:
    """Generates a command's payload from its pydantic model's JSON schema."""

    def __init__(self, rng: random.Random, known: Known) -> None:
        self.rng = rng
        self.known = known

    def valid(self, schema: dict[str, Any]) -> dict[str, Any]:
        """An object that fits the schema (optional fields present half the time)."""
        return self._object(schema, schema.get("$defs", {}))

    def make(self, spec: CommandSpec) -> Any:
        """One payload for ``spec``: schema-shaped three times in four, else broken."""
        schema = spec.payload.model_json_schema()
        return self.valid(schema) if self.rng.random() < 0.75 else self.mutated(schema)

    def _object(self, schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
        required = set(schema.get("required", ()))
        out = {}
        for name, prop in schema.get("properties", {}).items():
            if name in required or self.rng.random() < 0.5:
                out[name] = self._value(name, prop, defs)
        return out

    def _value(self, name: str, prop: dict[str, Any], defs: dict[str, Any]) -> Any:
        rng = self.rng
        if "$ref" in prop:
            return self._object(defs[prop["$ref"].rsplit("/", 1)[-1]], defs)
        if "anyOf" in prop:
            return self._value(name, rng.choice(prop["anyOf"]), defs)
        if "enum" in prop:
            return rng.choice(prop["enum"])
        if "const" in prop:
            return prop["const"]
        kind = prop.get("type")
        if kind == "null":
            return None
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "integer":
            low, high = prop.get("minimum", -(2**31)), prop.get("maximum", 2**31)
            if rng.random() < 0.5:  # small values reach real slides and steps
                high = min(high, max(low, 0) + 3)
            return rng.randint(low, high)
        if kind == "number":
            return rng.uniform(-1e6, 1e6)
        if kind == "array":
            low, high = prop.get("minItems", 0), min(prop.get("maxItems", 5), 5)
            count = low if low > high else rng.randint(low, high)
            return [self._value(name, prop.get("items", {}), defs) for _ in range(count)]
        if kind == "object":
            keys = rng.randint(0, min(prop.get("maxProperties", 3), 3))
            inner = prop.get("additionalProperties", {})
            return {self._text(1, 20): self._value("participant", inner, defs) for _ in range(keys)}
        real = self.known.for_field(name)
        if real and rng.random() < 0.8:
            return rng.choice(real)
        return self._string(prop)

    def _string(self, prop: dict[str, Any]) -> str:
        low, high = prop.get("minLength", 0), min(prop.get("maxLength", 60), 300)
        if "pattern" in prop:
            alphabet = string.ascii_lowercase + string.digits + "_-"
            return "".join(self.rng.choice(alphabet) for _ in range(self.rng.randint(low, high)))
        return self._text(low, high)

    def _text(self, low: int, high: int) -> str:
        if self.rng.random() < 0.1:
            return self.rng.choice(WEIRD_TEXT)
        size = self.rng.randint(low, max(low, min(high, 40)))
        return "".join(
            chr(self.rng.choice((32, 65, 97, 0xE9, 0x4E2D)) + self.rng.randint(0, 25))
            for _ in range(size)
        )

    def mutated(self, schema: dict[str, Any]) -> Any:
        """A valid payload broken in one way, or not an object at all."""
        rng = self.rng
        base = self.valid(schema)
        how = rng.randrange(9)
        if how == 0 and base:
            base.pop(rng.choice(list(base)))
        elif how == 1:
            base[self._text(1, 12)] = self._junk(2)
        elif how == 2 and base:
            base[rng.choice(list(base))] = self._junk(3)
        elif how == 3 and base:
            base[rng.choice(list(base))] = "x" * rng.choice((61, 301, 2001, 70_000))
        elif how == 4:
            deep: Any = 1
            for _ in range(rng.choice((10, 13, 50, 400))):
                deep = [deep] if rng.random() < 0.5 else {"a": deep}
            base[rng.choice(list(base) or ["x"])] = deep
        elif how == 5:
            return self._junk(2)
        elif how == 6 and base:
            base[rng.choice(list(base))] = rng.choice((2**63, -(2**63), 1e308, -0.0, True, None))
        elif how == 7:
            return [base]
        return base

    def _junk(self, depth: int) -> Any:
        rng = self.rng
        pick = rng.randrange(8 if depth > 0 else 6)
        if pick == 0:
            return None
        if pick == 1:
            return rng.choice((True, False))
        if pick == 2:
            return rng.choice((0, -1, 2**53 + 1, 10**30))
        if pick == 3:
            return rng.uniform(-1e9, 1e9)
        if pick == 4:
            return self._text(0, 50)
        if pick == 5:
            return rng.choice(WEIRD_TEXT)
        if pick == 6:
            return [self._junk(depth - 1) for _ in range(rng.randint(0, 3))]
        return {self._text(1, 8): self._junk(depth - 1) for _ in range(rng.randint(0, 3))}
