"""API field names in, their JSON Schema out: one shape per field, shared by template.yaml and the sandbox.

A field name means the same thing wherever it appears (model.FIELD_TYPES); some fields are
refined beyond their plain type: an enumeration of allowed values, or the inner shape of an
object (msgParamsMap, msgParams, customHeaders).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kmsg_authoring.model import (
    ATTACHMENT_DISPOSITIONS,
    ATTACHMENT_FIELDS,
    FIELD_TYPES,
    MESSAGE_TYPES,
    RECEIVER_TYPES,
    REQUIRED_ATTACHMENT_FIELDS,
    REQUIRED_SEND_FIELDS,
    SEND_FIELDS,
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


def object_schema(
    fields: Iterable[str], required: Iterable[str] = (), *, nullable: bool = False, non_empty: Iterable[str] = ()
) -> Schema:
    """An object of API fields (each shaped by field_schema), closed to others; non_empty fields may not be empty."""
    props: dict[str, Schema] = {}
    for name in fields:
        schema = field_schema(name)
        if name in non_empty:
            schema["minLength" if schema.get("type") == "string" else "minItems"] = 1
        props[name] = {"anyOf": [schema, {"type": "null"}]} if nullable else schema
    return {"type": "object", "properties": props, "required": list(required), "additionalProperties": False}


def send_request_schema() -> Schema:
    """The JSON Schema of a message/send request body, attachments and recipients included."""
    attachment = object_schema(ATTACHMENT_FIELDS, REQUIRED_ATTACHMENT_FIELDS, non_empty=REQUIRED_ATTACHMENT_FIELDS)
    send = object_schema(SEND_FIELDS, REQUIRED_SEND_FIELDS, non_empty=("appGuid", "templateId"))
    send["properties"]["attachments"] = {"type": "array", "items": attachment}
    # The recipients a receiverType names must be listed, at least one.
    send["allOf"] = [
        {
            "if": {"properties": {"receiverType": {"const": kind}}, "required": ["receiverType"]},
            "then": {"required": [ids], "properties": {ids: {"minItems": 1}}},
        }
        for kind, ids in (("user", "userIds"), ("group", "groupIds"))
    ]
    return send
