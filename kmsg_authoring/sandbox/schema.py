"""The request schema of every sandbox endpoint, declared once from the API facts in model/.

Each endpoint's body is checked against a JSON Schema built from the field lists and types of the
guide; a request that fails gets HTTP 400 with every problem in one message, phrased like
`missing required field 'subject'` or `field 'status' must be one of enabled, disabled, deleted`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import jsonschema

from kmsg_authoring.model import (
    ADD_FIELDS,
    MESSAGE_LIST_FILTERS,
    READ_ONLY_FIELDS,
    REQUIRED_ADD_FIELDS,
    REQUIRED_UNSUBSCRIBE_URI_FIELDS,
    STATS_FIELDS,
    TEMPLATE_LIST_FILTERS,
    UNSUBSCRIBE_URI_ADD_FIELDS,
    UNSUBSCRIBE_URI_LIST_FILTERS,
    UNSUBSCRIBE_URI_UPDATE_FIELDS,
    UPDATE_FIELDS,
    USER_FIELDS,
)
from kmsg_authoring.model.shapes import Schema, field_schema, object_schema, send_request_schema

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "object": "an object",
    "array": "a list",
    "boolean": "true or false",
    "null": "null",
    "number": "a number",
}


_ID = object_schema(("id",), ("id",), non_empty=("id",))
_PAGER: Schema = {
    "type": "object",
    "properties": {"offset": {"type": "integer", "minimum": 0}, "limit": {"type": "integer", "minimum": 1}},
    "additionalProperties": False,
}


def _list(filters: Iterable[str]) -> Schema:
    return {
        "type": "object",
        "properties": {
            "filter": {"anyOf": [object_schema(filters, nullable=True), {"type": "null"}]},
            "pager": {"anyOf": [_PAGER, {"type": "null"}]},
        },
        "additionalProperties": False,
    }


# A sandbox user: the User fields of section 4.2 (text or numbers, as a Kaltura user record holds them),
# and the groups a group send reaches them through.
_USER: Schema = {
    "type": "object",
    "properties": {
        **{name: {"type": ["string", "integer"]} for name in USER_FIELDS},
        "id": {"type": "string", "minLength": 1},
        "groupIds": field_schema("groupIds"),
    },
    "required": ["id"],
    "additionalProperties": False,
}

SCHEMAS: dict[str, Schema] = {
    "email-template/add": object_schema(ADD_FIELDS, REQUIRED_ADD_FIELDS, non_empty=REQUIRED_ADD_FIELDS),
    "email-template/get": _ID,
    "email-template/update": object_schema(("id", *UPDATE_FIELDS), ("id",), non_empty=("id", "name")),
    "email-template/list": _list(TEMPLATE_LIST_FILTERS),
    "email-template/delete": _ID,
    "message/send": send_request_schema(),
    "message/list": _list(MESSAGE_LIST_FILTERS),
    "message/stats": object_schema(STATS_FIELDS, nullable=True),
    "unsubscribe-uri/add": object_schema(
        UNSUBSCRIBE_URI_ADD_FIELDS, REQUIRED_UNSUBSCRIBE_URI_FIELDS, non_empty=REQUIRED_UNSUBSCRIBE_URI_FIELDS
    ),
    "unsubscribe-uri/get": _ID,
    "unsubscribe-uri/update": object_schema(("id", *UNSUBSCRIBE_URI_UPDATE_FIELDS), ("id",), non_empty=("id", "uri")),
    "unsubscribe-uri/list": _list(UNSUBSCRIBE_URI_LIST_FILTERS),
    "unsubscribe-uri/delete": _ID,
    "sandbox/users/add": {
        "type": "object",
        "properties": {"users": {"type": "array", "items": _USER, "minItems": 1}},
        "required": ["users"],
        "additionalProperties": False,
    },
}

_VALIDATORS = {name: jsonschema.Draft202012Validator(schema) for name, schema in SCHEMAS.items()}
# Fields an update may not carry although add takes them.
_FIXED_ON_UPDATE = tuple(f for f in ADD_FIELDS if f not in UPDATE_FIELDS)


def _where(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(error: jsonschema.ValidationError, endpoint: str) -> list[str]:
    where = _where(error.absolute_path)
    field = f"field '{where}'" if where else "the request body"
    kind = error.validator
    if kind == "required":
        missing = [name for name in error.validator_value if name not in error.instance]
        prefix = f"{where}." if where else ""
        return [f"missing required field '{prefix}{name}'" for name in missing]
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        prefix = f"{where}." if where else ""
        messages = []
        for name in sorted(k for k in error.instance if k not in allowed):
            if name in READ_ONLY_FIELDS and endpoint.startswith("email-template/"):
                messages.append(f"field '{prefix}{name}' is read-only")
            elif name in _FIXED_ON_UPDATE and endpoint == "email-template/update":
                messages.append(f"field '{prefix}{name}' cannot be changed by an update")
            else:
                messages.append(f"unknown field '{prefix}{name}'")
        return messages
    if kind == "type":
        expected = error.validator_value
        wanted: list[str] = expected if isinstance(expected, list) else [str(expected)]
        names = " or ".join(_TYPE_NAMES.get(t, t) for t in wanted)
        got = _TYPE_NAMES.get(_json_type(error.instance), "something else")
        return [f"{field} must be {names} (got {got})"]
    if kind in ("enum", "const"):
        values = error.validator_value if kind == "enum" else [error.validator_value]
        return [f"{field} must be one of {', '.join(map(str, values))} (got {error.instance!r})"]
    if kind in ("minLength", "minItems"):
        return [f"{field} must not be empty"]
    if kind == "minimum":
        return [f"{field} must be >= {error.validator_value} (got {error.instance})"]
    if kind == "anyOf":
        # A nullable filter field: report why the non-null branch failed.
        branches: list[str] = []
        for sub in error.context or ():
            if sub.validator != "type" or sub.validator_value != "null":
                branches.extend(_describe(sub, endpoint))
        return branches or [f"{field} is invalid"]
    return [f"{field}: {error.message}"]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def problems(endpoint: str, body: Any) -> list[str]:
    """Every problem of a request body for an endpoint, as messages; empty when it is valid."""
    validator = _VALIDATORS[endpoint]
    messages: list[str] = []
    for error in sorted(validator.iter_errors(body), key=lambda e: (list(map(str, e.absolute_path)), str(e.validator))):
        for message in _describe(error, endpoint):
            if message not in messages:
                messages.append(message)
    return messages
