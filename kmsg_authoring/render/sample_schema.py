"""A sample checked against its template: the JSON Schema a sample must satisfy (built from the
msgParamsMap), its problems located at the lines of the sample file, the secrets they never show.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from kmsg_authoring.errors import Location, SampleError, SourceError, hide
from kmsg_authoring.model import (
    CURRENT_RECIPIENT,
    SEND_FIELDS,
    TOKEN_TYPES,
    TOKENS,
    USER_FIELDS,
    TokenType,
    sent_as,
    token_type,
)
from kmsg_authoring.source.project import YamlDoc


_USER_VALUE = {"type": ["string", "number", "boolean", "null"]}


def sample_schema(msg_params_map: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema a sample for a template with this msgParamsMap must satisfy."""
    params: dict[str, Any] = {}
    for name, decl in msg_params_map.items():
        kind = token_type(decl.get("type")) if isinstance(decl, Mapping) else None
        if kind is None:
            continue  # the compiler reports an undeclared or unknown type
        sent = sent_as(kind)
        params[name] = {
            "type": "object",
            "required": ["type", "value"],
            "properties": {
                "type": {"enum": [t.value for t in sent]} if len(sent) > 1 else {"const": kind.value},
                "value": TOKENS[kind].value_schema,
            },
            "additionalProperties": False,
            # A token that resolves by its value may be sent typed as what it resolves to; the value must
            # then fit that type.
            "allOf": [
                {
                    "if": {"properties": {"type": {"const": t.value}}},
                    "then": {"properties": {"value": TOKENS[t].value_schema}},
                }
                for t in sent
                if t != kind
            ],
        }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "required": ["msgParams"],
        "properties": {
            "users": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {
                        f: ({"type": "string", "minLength": 1} if f == "id" else _USER_VALUE) for f in USER_FIELDS
                    },
                    "additionalProperties": False,
                },
            },
            # The locale the preview shows the sample in (a template built per locale).
            "locale": {"type": "string", "pattern": r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8})*$"},
            "msgParams": {
                "type": "object",
                "required": sorted(params),
                "properties": params,
                "additionalProperties": {
                    "type": "object",
                    "required": ["type", "value"],
                    "properties": {"type": {"enum": list(TOKEN_TYPES)}, "value": {}},
                },
            },
        },
        "propertyNames": {"enum": ["users", "locale", *SEND_FIELDS]},
    }


def _hint(name: object) -> str:
    """How a value of the named token type is written; empty for an unknown type."""
    kind = token_type(name)
    return TOKENS[kind].value_hint if kind is not None else ""


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _message(error: Any, msg_params_map: Mapping[str, Any]) -> tuple[tuple[Any, ...], str]:
    """Where (keys into the YAML document) and what, for one jsonschema error."""
    path = tuple(error.absolute_path)
    validator = error.validator
    declared = {n: d.get("type") for n, d in msg_params_map.items() if isinstance(d, Mapping)}
    if validator == "required":
        # One error per missing property: name the one this error is about, not the first missing.
        absent = [m for m in error.validator_value if m not in error.instance]
        missing = next((m for m in absent if error.message.startswith(f"{m!r} ")), absent[0] if absent else "")
        if path == ("msgParams",):
            t = declared.get(missing, "?")
            return path, f"no value for token '{missing}' (msgParamsMap declares a {t} token: {_hint(t)})"
        if path == ():
            return path, f"missing '{missing}' (the token values, name -> {{type, value}})"
        return path, f"{_dotted(path)} is missing '{missing}'"
    if "propertyNames" in error.schema_path:
        bad = error.instance
        close = difflib.get_close_matches(str(bad), ["users", "locale", *SEND_FIELDS], 1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        return (*path, bad), f"unknown key '{bad}'{hint}"
    if validator == "additionalProperties" and len(path) == 2 and path[0] == "users":
        extra = sorted(set(error.instance) - set(USER_FIELDS))
        bad = extra[0] if extra else "?"
        close = difflib.get_close_matches(bad, USER_FIELDS, 1)
        hint = f" (did you mean '{close[0]}'?)" if close else f" (User fields: {', '.join(USER_FIELDS)})"
        return (*path, bad), f"unknown User field '{bad}'{hint}"
    if validator in ("const", "enum") and len(path) == 3 and path[2] == "type":
        t = declared.get(str(path[1]))
        kind = token_type(t)
        also = [x.value for x in sent_as(kind) if x != kind] if kind is not None else []
        return path, (
            f"{_dotted(path)} is '{error.instance}' but msgParamsMap declares '{t}'"
            + (f" (a {t} token may also be sent as {' or '.join(also)})" if also else "")
        )
    if len(path) >= 3 and path[0] == "msgParams" and path[2] == "value":
        t = str(declared.get(str(path[1]), ""))
        hint = _hint(t)
        what = error.message if validator != "oneOf" else f"{error.instance!r} is neither text nor a MagicLink"
        if validator == "pattern":
            what = f"{error.instance!r} is not a valid value here"
        return path, f"{_dotted(path)}: {what}; a {t} value is {hint}" if t else f"{_dotted(path)}: {what}"
    return path, f"{_dotted(path) or 'sample'}: {error.message}"


def validate_sample(doc: YamlDoc, msg_params_map: Mapping[str, Any]) -> list[SourceError]:
    """Every problem of a parsed sample, each at its line in the sample file."""
    from kmsg_authoring.source.jsonschema_lite import iter_problems

    schema = sample_schema(msg_params_map)
    found: list[tuple[Location, str]] = []
    # The small validator answers "valid?" without importing jsonschema (a pre-commit hook's start-up
    # matters); jsonschema's detailed errors are worth their import only for an invalid sample.
    if any(iter_problems(doc.data, schema)):
        import jsonschema

        for error in jsonschema.Draft202012Validator(schema).iter_errors(doc.data):
            path, message = _message(error, msg_params_map)
            found.append((doc.locate(*path), message))
    if not found:
        found.extend(_check_users(doc, msg_params_map))
    found.sort(key=lambda f: (f[0].line, f[0].col))
    return [SampleError(_redact(message, doc.data), loc) for loc, message in found]


def _secrets(data: Any) -> list[str]:
    """The JwtQrCode secrets of a sample, longest first."""
    params = data.get("msgParams") if isinstance(data, Mapping) else None
    found = set()
    for param in params.values() if isinstance(params, Mapping) else ():
        value = param.get("value") if isinstance(param, Mapping) else None
        secret = value.get("secret") if isinstance(value, Mapping) else None
        if secret is not None and str(secret):
            found.add(str(secret))
    return sorted(found, key=len, reverse=True)


def _redact(message: str, data: Any) -> str:
    """A message with every sample secret shown as <hidden>: problems get printed and served."""
    for secret in _secrets(data):
        message = hide(message, repr(secret), secret)
    return message


def _check_users(doc: YamlDoc, msg_params_map: Mapping[str, Any]) -> list[tuple[Location, str]]:
    """What the schema cannot say: user ids are unique, User tokens name a user of the sample."""
    found: list[tuple[Location, str]] = []
    users = doc.data.get("users") or []
    ids: dict[str, int] = {}
    for i, user in enumerate(users):
        uid = str(user["id"])
        if uid in ids:
            found.append(
                (doc.locate("users", i, "id"), f"user id '{uid}' is listed twice (first as users[{ids[uid]}])")
            )
        ids.setdefault(uid, i)
    for name, param in doc.data.get("msgParams", {}).items():
        if param.get("type") != TokenType.USER:
            continue
        value = param.get("value")
        if value == CURRENT_RECIPIENT:
            if not users:
                found.append(
                    (
                        doc.locate("msgParams", name, "value"),
                        f"msgParams.{name} is {CURRENT_RECIPIENT} but the sample has no users",
                    )
                )
        elif value not in ids:
            known = ", ".join(ids) or "none"
            found.append(
                (
                    doc.locate("msgParams", name, "value"),
                    (
                        f"msgParams.{name}: user '{value}' is not in users (known: {known}); "
                        f"add it to users or use {CURRENT_RECIPIENT}"
                    ),
                )
            )
    return found
