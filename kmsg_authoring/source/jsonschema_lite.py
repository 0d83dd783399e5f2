"""A small validator for the subset of JSON Schema the toolkit's own schemas use.

The build and lint paths run in pre-commit hooks, where importing the jsonschema package costs
more than compiling a template. The schemas stay standard JSON Schema (`kmsg-author schema`
prints them for editors, and the tests check this validator agrees with jsonschema); this module
understands: type, properties, additionalProperties, required, enum, const, items, minLength,
minimum, pattern, anyOf, oneOf, allOf, if/then/else and propertyNames.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
    "null": (type(None),),
}


@dataclass(frozen=True)
class SchemaProblem:
    """One way an instance does not match its schema."""

    path: tuple[str | int, ...]
    message: str
    keyword: str
    extra: tuple[str, ...] = ()  # additionalProperties: the unexpected keys


def _is_type(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, _TYPES[name])


def _describe(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def iter_problems(value: Any, schema: dict[str, Any], path: tuple[str | int, ...] = ()) -> Iterator[SchemaProblem]:
    """Every problem of value against schema, outermost first."""
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        if not any(_is_type(value, n) for n in names):
            yield SchemaProblem(path, f"expected {' or '.join(names)}, got {_describe(value)}", "type")
            return
    if "enum" in schema and value not in schema["enum"]:
        options = ", ".join(repr(o) for o in schema["enum"])
        yield SchemaProblem(path, f"{value!r} is not one of {options}", "enum")
    if "const" in schema and value != schema["const"]:
        yield SchemaProblem(path, f"expected {schema['const']!r}", "const")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        yield SchemaProblem(path, "must not be empty" if schema["minLength"] == 1 else "too short", "minLength")
    if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
        yield SchemaProblem(path, f"{value!r} does not match {schema['pattern']!r}", "pattern")
    if _is_type(value, "number") and "minimum" in schema and value < schema["minimum"]:
        yield SchemaProblem(path, f"must be at least {schema['minimum']}", "minimum")
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            matches = [s for s in schema[keyword] if not any(iter_problems(value, s, path))]
            if not matches or (keyword == "oneOf" and len(matches) > 1):
                hint = schema.get("description") or "none of the allowed forms"
                yield SchemaProblem(path, f"does not match {hint}", keyword)
    for sub in schema.get("allOf", []):
        yield from iter_problems(value, sub, path)
    if "if" in schema:
        branch = schema.get("else") if any(iter_problems(value, schema["if"], path)) else schema.get("then")
        if branch:
            yield from iter_problems(value, branch, path)
    if isinstance(value, dict):
        for key in schema.get("required", []):
            if key not in value:
                yield SchemaProblem(path, f"missing required '{key}'", "required")
        props: dict[str, Any] = schema.get("properties", {})
        additional = schema.get("additionalProperties", True)
        names_schema = schema.get("propertyNames")
        extra = [k for k in value if k not in props]
        if additional is False and extra:
            yield SchemaProblem(
                path,
                f"unexpected {', '.join(repr(k) for k in extra)}",
                "additionalProperties",
                tuple(str(k) for k in extra),
            )
        for key, item in value.items():
            if names_schema and any(iter_problems(key, names_schema)):
                yield SchemaProblem((*path, key), f"invalid name '{key}'", "propertyNames")
            if key in props:
                yield from iter_problems(item, props[key], (*path, key))
            elif isinstance(additional, dict):
                yield from iter_problems(item, additional, (*path, key))
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for i, item in enumerate(value):
            yield from iter_problems(item, schema["items"], (*path, i))
