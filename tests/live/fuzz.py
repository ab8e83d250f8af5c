"""Payloads for fuzzing the live channel, generated from the catalogue's own models.

Most payloads follow the command's JSON schema (so they reach the handler and the
state checks); the rest break it in the ways a broken or hostile client does:
wrong types, unknown fields, huge or empty strings, deep nesting, junk ids.
Deterministic for a seed, so a failure can be replayed.
"""

from __future__ import annotations

import random
from typing import Any

from imr_live.domain.events import CommandSpec

JUNK: list[Any] = [
    None,
    True,
    -1,
    10**12,
    1.5,
    "",
    "x" * 5000,
    "\n\r\t\u0000",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "\ud7ff\ue000\U0001f600",
    [],
    {},
    [[[[[[[[[[[[[[1]]]]]]]]]]]]]],
    {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}},
]


class PayloadMaker:
    """Payloads for one command, some valid by its schema and some broken."""

    def __init__(self, rng: random.Random, ids: list[str]) -> None:
        self.rng = rng
        self.ids = ids
        """Participant and record ids that exist, so valid payloads can hit real people."""

    def make(self, spec: CommandSpec) -> Any:
        """One payload for ``spec``: schema-shaped three times in four, else broken."""
        schema = spec.payload.model_json_schema()
        payload = self._object(schema, schema.get("$defs", {}))
        if self.rng.random() < 0.75:
            return payload
        return self._break(payload)

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
            options = [p for p in prop["anyOf"] if p.get("type") != "null"] or [{}]
            return self._value(name, rng.choice(options), defs)
        if "enum" in prop:
            return rng.choice(prop["enum"])
        if "const" in prop:
            return prop["const"]
        kind = prop.get("type")
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "integer":
            return rng.randint(prop.get("minimum", 0), min(prop.get("maximum", 20), 20))
        if kind == "array":
            count = rng.randint(0, min(prop.get("maxItems", 3), 16))
            if name == "items":  # scale ratings: usually the right length
                count = rng.choice([prop.get("minItems", count), count])
            return [self._value(name, prop.get("items", {}), defs) for _ in range(count)]
        if kind == "object":
            inner = prop.get("additionalProperties", {})
            return {rng.choice(["client", "friend", "x"]): self._value(name, inner, defs)}
        if kind == "string":
            if name in ("participant", "assignment_id", "goal_id") and self.ids:
                return rng.choice(self.ids)
            return rng.choice(["Ann", "hello there", "a" * prop.get("maxLength", 40), "x"])
        return rng.choice(JUNK)

    def _break(self, payload: dict[str, Any]) -> Any:
        rng = self.rng
        choice = rng.randrange(4)
        if choice == 0:
            return rng.choice(JUNK)
        if choice == 1:
            return {**payload, rng.choice(["extra", "__proto__", "constructor"]): 1}
        if choice == 2 and payload:
            key = rng.choice(sorted(payload))
            return {**payload, key: rng.choice(JUNK)}
        return {k: rng.choice(JUNK) for k in payload} or {"x": rng.choice(JUNK)}
