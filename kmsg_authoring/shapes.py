"""API field names in, their JSON Schema out: one shape per field, shared by template.yaml and the sandbox.

A field name means the same thing wherever it appears (model.FIELD_TYPES); some fields are
refined beyond their plain type: an enumeration of allowed values, or the inner shape of an
object (msgParamsMap, msgParams, customHeaders).
"""

from __future__ import annotations

from typing import Any

from kmsg_authoring.model import (
    ATTACHMENT_DISPOSITIONS,
    FIELD_TYPES,
    MESSAGE_TYPES,
    RECEIVER_TYPES,
    TEMPLATE_STATUSES,
    TOKEN_TYPES,
)

Schema = dict[str, Any]

# JSON Schema of each FIELD_TYPES type name.
JSON_TYPES: dict[str, Schema] = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "object": {"type": "object"},
    "string[]": {"type": "array", "items": {"type": "string"}},
    "object[]": {"type": "array", "items": {"type": "object"}},
}


def _token_map(closed: bool, *, value: bool) -> Schema:
    """name -> {type[, value]}: a msgParamsMap (declarations) or msgParams (values of a send)."""
    required = ["type", "value"] if value else ["type"]
    kind: Schema = {"enum": list(TOKEN_TYPES)} if closed else {"type": "string"}
    return {
        "type": "object",
        "additionalProperties": {"type": "object", "required": required, "properties": {"type": kind}},
    }


def _refined(name: str, closed: bool) -> Schema | None:
    """A field's shape beyond its plain type; with closed, its enumerations too."""
    enums: dict[str, tuple[str, ...]] = {
        "status": TEMPLATE_STATUSES,
        "receiverType": RECEIVER_TYPES,
        "type": MESSAGE_TYPES,
        "disposition": ATTACHMENT_DISPOSITIONS,
    }
    if name == "msgParamsMap":
        return _token_map(closed, value=False)
    if name == "msgParams":
        return _token_map(closed, value=True)
    if name == "customHeaders":
        return {"type": "object", "additionalProperties": {"type": "string"}}
    if closed and name in enums:
        return {"type": "string", "enum": list(enums[name])}
    return None


def field_schema(name: str, *, closed: bool = True) -> Schema:
    """The JSON Schema of one API field; closed adds its enumerations (statuses, token types...).

    Open schemas check shapes only, so a value outside an enumeration is left to a later, more
    helpful check (the linter's rule with its code).
    """
    return _refined(name, closed) or dict(JSON_TYPES[FIELD_TYPES[name]])
