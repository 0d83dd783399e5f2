"""The token contract: the JSON Schema of the msgParams a message/send caller passes for a template.

A template's msgParamsMap declares its tokens; the API guide (section 4) fixes the value each token
type takes at send time. Together they are the schema a sending service must satisfy. This module
builds that schema (JSON Schema draft 2020-12) from a msgParamsMap alone, and checks a caller's
parameters against it with every problem at its JSON pointer; the sandbox's message/send uses the
same check, so both answer alike. Which tokens the template uses where, and the User fields and
inline images it needs, come from the compiled payload (contract/template.py) and are added to the
schema as annotations under `x-kmsg`.

The value shape of each token type, and how a caller reads it, are spelled out once, in model/'s
token table (TOKENS: value_schema, at_send, resolves_as; samples are message/send requests too);
this module adds the forms of a User value and is the one place the contract's per-type schema is
put together. It depends on the API facts alone (model, errors, shapes), so the compiler, the
build and the sandbox can all use it.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from kmsg_authoring.errors import hide
from kmsg_authoring.model import CURRENT_RECIPIENT, JWT_QR_FIELDS, TOKEN_TYPES, TOKENS, TokenType, sent_as, token_type
from kmsg_authoring.model.shapes import send_request_schema

Schema = dict[str, Any]

# The token types by role, named once from the model's table (section 4.1 order).
USER, STRING, MAGIC_LINK, DYNAMIC, UNSUBSCRIBE_URI, JWT_QR_CODE = TOKEN_TYPES

DIALECT = "https://json-schema.org/draft/2020-12/schema"
ANNOTATION = "x-kmsg"  # the contract's annotations: template, token usage, User fields, inline images


def sent_as_names(kind: str) -> tuple[str, ...]:
    """The type names a token declared with this type may be sent as: itself, or what it resolves as."""
    known = token_type(kind)
    return tuple(str(t) for t in sent_as(known)) if known is not None else (kind,)


# Section 4.4: the member of a JwtQrCode value that is a signing secret (never shown, never exported).
SECRET_FIELD = "secret"
if SECRET_FIELD not in JWT_QR_FIELDS:
    raise RuntimeError("the JwtQrCode secret field must be one of JWT_QR_FIELDS")
SECRET_PLACEHOLDER = "<your JWT signing secret>"

# An inline image: `cid:` in an attribute value or a CSS url() (RFC 2392; the id is URL-encoded).
_CID_RE = re.compile(r"""(?:=\s*["']?|url\(\s*["']?)\s*cid:([^"'\s)>]+)""", re.IGNORECASE)


def token_def(kind: str) -> str:
    """Name of a token type's definition under $defs."""
    return f"{kind}Token"


def token_type_of(kind: str) -> TokenType:
    """The TokenType of a known type name (KeyError for another: callers check TOKEN_TYPES first)."""
    known = token_type(kind)
    if known is None:
        raise KeyError(kind)
    return known


def value_schema(kind: str) -> Schema:
    """The schema of a token's `value` for a token type (section 4)."""
    schema = copy.deepcopy(dict(TOKENS[token_type_of(kind)].value_schema))
    if kind == USER:
        # Section 6.1: the two forms of a User value, named so that a caller reading the schema sees both.
        return {
            "anyOf": [
                {
                    "const": CURRENT_RECIPIENT,
                    "title": "each recipient",
                    "description": "resolve the token from each recipient's own profile",
                },
                {**schema, "title": "a user id", "description": "the Kaltura user id whose profile fields are read"},
            ]
        }
    return schema


def token_schema(kind: str) -> Schema:
    """The schema of one msgParams entry {type, value} for a token declared with this type."""
    entry: Schema = {
        "type": "object",
        "required": ["type", "value"],
        "properties": {"type": {"const": kind}, "value": value_schema(kind)},
        "additionalProperties": False,
    }
    head = {"title": f"{kind} token", "description": TOKENS[token_type_of(kind)].at_send}
    also = [t for t in sent_as_names(kind) if t != kind]
    if not also:
        return {**head, **entry}
    # Section 4.1: such a token may also be sent typed as what it resolves to.
    return {**head, "anyOf": [entry, *({"$ref": f"#/$defs/{token_def(t)}"} for t in also)]}


def _needed_types(types: Iterable[str]) -> list[str]:
    """The token types whose definitions a schema needs: those used and those they refer to."""
    needed: list[str] = []
    for t in types:
        for u in sent_as_names(t):
            if u in TOKEN_TYPES and u not in needed:
                needed.append(u)
    return sorted(needed, key=TOKEN_TYPES.index)


def declared_types(msg_params_map: Any) -> dict[str, str]:
    """Token name -> declared type of a msgParamsMap (entries without a type string are left out)."""
    if not isinstance(msg_params_map, Mapping):
        return {}
    out: dict[str, str] = {}
    for name, decl in msg_params_map.items():
        kind = decl.get("type") if isinstance(decl, Mapping) else None
        if isinstance(kind, str):
            out[str(name)] = kind
    return out


def params_schema(msg_params_map: Any) -> Schema:
    """The JSON Schema of the msgParams object for a msgParamsMap: every declared token, its shape by type.

    Tokens the template does not declare are let through (a caller still sending a token the
    template dropped keeps working); each must still be a {type, value} entry.
    """
    declared = declared_types(msg_params_map)
    props: dict[str, Schema] = {}
    for name, kind in declared.items():
        if kind in TOKEN_TYPES:
            props[name] = {"$ref": f"#/$defs/{token_def(kind)}"}
        else:  # an unknown type (a remote template, say): only the {type, value} frame is known
            props[name] = {
                "type": "object",
                "required": ["type", "value"],
                "properties": {"type": {"const": kind}, "value": {}},
            }
    return {
        "$schema": DIALECT,
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": {
            "type": "object",
            "required": ["type", "value"],
            "properties": {"type": {"enum": list(TOKEN_TYPES)}, "value": {}},
        },
        "$defs": {token_def(t): token_schema(t) for t in _needed_types(declared.values())},
        ANNOTATION: {"tokens": {name: {"type": kind} for name, kind in declared.items()}},
    }


def inline_images(html: str) -> list[str]:
    """The content ids a body shows as `cid:` images, in order of first use."""
    found: dict[str, None] = {}
    for m in _CID_RE.finditer(html):
        found.setdefault(unquote(m.group(1)), None)
    return list(found)


# -- checking a caller's parameters -----------------------------------------------------------------


@dataclass(frozen=True)
class ParamError:
    """One way a caller's parameters break the contract, at its JSON pointer (RFC 6901)."""

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.message}"

    def to_json(self) -> dict[str, str]:
        """A JSON-ready mapping."""
        return {"pointer": self.pointer or "/", "message": self.message}


def pointer(parts: Iterable[Any]) -> str:
    """A JSON pointer from path parts."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "object": "an object",
    "array": "an array",
    "boolean": "true or false",
    "null": "null",
}


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _token_types(schema: Mapping[str, Any]) -> dict[str, str]:
    tokens = schema.get(ANNOTATION, {}).get("tokens", {})
    return {str(k): str(v.get("type")) for k, v in tokens.items()} if isinstance(tokens, Mapping) else {}


def _branch_for_type(error: Any) -> list[Any] | None:
    """For a token entry sent as one of several types: the failing branch whose type matches, if any."""
    instance = error.instance
    if not isinstance(instance, Mapping) or "type" not in instance:
        return None
    branches: dict[int, list[Any]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    type_errors = {i for i, subs in branches.items() if any(tuple(s.relative_path) == ("type",) for s in subs)}
    matching = [subs for i, subs in sorted(branches.items()) if i not in type_errors]
    return matching[0] if len(matching) == 1 else None


def _messages(error: Any, types: Mapping[str, str], base: tuple[Any, ...]) -> Iterator[ParamError]:
    path = (*base, *error.absolute_path)
    where = pointer(path)
    kind = error.validator
    at_root = len(error.absolute_path) == 0
    if kind == "required":
        for name in error.validator_value:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                if at_root and name in types:
                    yield ParamError(
                        pointer((*path, name)), f"missing token '{name}' (the template declares a {types[name]} token)"
                    )
                else:
                    yield ParamError(pointer((*path, name)), f"missing member '{name}'")
        return
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        for name in sorted(str(k) for k in error.instance if k not in allowed):
            known = ", ".join(allowed) or "none"
            yield ParamError(pointer((*path, name)), f"unknown member '{name}' (allowed: {known})")
        return
    if kind in ("anyOf", "oneOf"):
        branch = _branch_for_type(error)
        if branch is not None:
            for sub in branch:
                yield from _messages(sub, types, base)
            return
        name = str(error.absolute_path[0]) if len(error.absolute_path) == 1 else ""
        if name in types and not isinstance(error.instance, Mapping):
            yield ParamError(where, f'{_show(error.instance)} is not an object {{"type": ..., "value": ...}}')
            return
        if name in types:
            declared = types[name]
            sent = error.instance.get("type") if isinstance(error.instance, Mapping) else None
            allowed = ", ".join(sent_as_names(declared))
            if sent is not None:
                yield ParamError(
                    pointer((*path, "type")),
                    f"{_show(sent)} but the template declares '{declared}' (send it as {allowed})",
                )
                return
        titles = [
            str(s.get("title") or s.get("type") or s.get("$ref", "?").rsplit("/", 1)[-1]) for s in error.validator_value
        ]
        yield ParamError(where, f"{_show(error.instance)} is none of: {', '.join(titles)}")
        return
    if kind == "const" and path[-1:] == ("type",) and len(error.absolute_path) == 2:
        declared = types.get(str(error.absolute_path[0]), str(error.validator_value))
        yield ParamError(where, f"{_show(error.instance)} but the template declares '{declared}'")
        return
    if kind == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        names = " or ".join(_NAMES.get(str(t), str(t)) for t in wanted)
        yield ParamError(where, f"{_show(error.instance)} is not {names}")
        return
    if kind in ("const", "enum"):
        values = [error.validator_value] if kind == "const" else error.validator_value
        yield ParamError(where, f"{_show(error.instance)} is not one of {', '.join(map(_show, values))}")
        return
    if kind == "minLength":
        yield ParamError(where, "must not be empty")
        return
    if kind == "minimum":
        yield ParamError(where, f"must be at least {error.validator_value} (got {_show(error.instance)})")
        return
    if kind == "pattern":
        yield ParamError(where, f"{_show(error.instance)} does not match {error.validator_value}")
        return
    yield ParamError(where, error.message)


def _secrets(document: Any) -> list[str]:
    """Every JwtQrCode-style secret in a document, longest first."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                if key == SECRET_FIELD and isinstance(value, (str, int, float)) and str(value):
                    found.add(str(value))
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(document)
    return sorted(found, key=len, reverse=True)


def redact(errors: Sequence[ParamError], document: Any) -> list[ParamError]:
    """Errors with every signing secret of the document shown as <hidden> (errors get printed and logged)."""
    secrets = _secrets(document)
    out = []
    for e in errors:
        message = e.message
        for secret in secrets:
            message = hide(message, _show(secret), secret)
        out.append(ParamError(e.pointer, message))
    return out


def validate_params(schema: Mapping[str, Any], msg_params: Any, *, base: Sequence[Any] = ()) -> list[ParamError]:
    """Every way msgParams breaks a contract schema, each at its JSON pointer (base: where msgParams sits)."""
    import jsonschema

    types = _token_types(schema)
    found: list[ParamError] = []
    for error in jsonschema.Draft202012Validator(schema).iter_errors(msg_params):
        for problem in _messages(error, types, tuple(base)):
            if problem not in found:
                found.append(problem)
    # An entry sent with the wrong type: its value is measured against the wrong shape, so only the type counts.
    wrong_type = {e.pointer[: -len("/type")] for e in found if e.pointer.endswith("/type")}
    found = [
        e for e in found if e.pointer.endswith("/type") or not any(e.pointer.startswith(w + "/") for w in wrong_type)
    ]
    found.sort(key=lambda e: e.pointer)
    return redact(found, msg_params)


def missing_images(
    schema: Mapping[str, Any], attachments: Any, *, base: Sequence[Any] = ("attachments",)
) -> list[ParamError]:
    """An error per inline image of the contract that no attachment carries (by contentId)."""
    wanted = schema.get(ANNOTATION, {}).get("inlineImages") or []
    listed = attachments if isinstance(attachments, list) else []
    have = {str(a.get("contentId")) for a in listed if isinstance(a, Mapping)}
    return [
        ParamError(
            pointer(base),
            f"no attachment with contentId '{cid}': the body shows cid:{cid}; attach the "
            "image with disposition 'inline' and that contentId",
        )
        for cid in wanted
        if cid not in have
    ]


def is_send_request(document: Any) -> bool:
    """Whether a document is a whole message/send body rather than its msgParams."""
    return isinstance(document, Mapping) and "msgParams" in document


def check_request(schema: Mapping[str, Any], document: Any, *, envelope: bool = True) -> list[ParamError]:
    """Every problem of a message/send body, or of msgParams alone, against a template's contract.

    A whole body also has its other fields checked against the API's message/send request (with
    envelope) and its attachments against the inline images the template shows.
    """
    if not is_send_request(document):
        return validate_params(schema, document)
    found: list[ParamError] = []
    if envelope:
        import jsonschema

        outer = send_request_schema()
        outer["properties"]["msgParams"] = {"type": "object"}  # checked against the contract below
        for error in jsonschema.Draft202012Validator(outer).iter_errors(document):
            found.extend(p for p in _messages(error, {}, ()) if p not in found)
    found.extend(validate_params(schema, document["msgParams"], base=("msgParams",)))
    found.extend(missing_images(schema, document.get("attachments")))
    unique = list(dict.fromkeys(found))  # a msgParams that is no object is wrong for both checks
    unique.sort(key=lambda e: e.pointer)
    return redact(unique, document)


def _placeholders(node: Any) -> Any:
    """A copy of msgParams with every signing secret replaced by a placeholder."""
    if isinstance(node, Mapping):
        return {k: SECRET_PLACEHOLDER if k == SECRET_FIELD else _placeholders(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_placeholders(v) for v in node]
    return node


def send_example(
    schema: Mapping[str, Any],
    msg_params: Mapping[str, Any],
    user_ids: Sequence[str],
    *,
    app_guid: str | None = None,
    template_id: str | None = None,
) -> dict[str, Any]:
    """A ready-to-copy message/send body for a contract from sample values; secrets are placeholders."""
    body: dict[str, Any] = {
        "receiverType": "user",
        "userIds": list(user_ids) or ["<user id>"],
        "appGuid": app_guid or "<appGuid>",
        "templateId": template_id or "<templateId>",
        "type": "email",
        "msgParams": _placeholders(dict(msg_params)),
    }
    images = schema.get(ANNOTATION, {}).get("inlineImages") or []
    if images:
        body["attachments"] = [
            {
                "fileName": f"{cid}.png",
                "content": "<base64 of the image>",
                "mimeType": "image/png",
                "disposition": "inline",
                "contentId": cid,
            }
            for cid in images
        ]
    return body
