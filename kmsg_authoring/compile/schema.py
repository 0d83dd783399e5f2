"""The JSON Schema of template.yaml, built from the API facts in model/."""

from __future__ import annotations

import difflib
from typing import Any

from kmsg_authoring.errors import SourceError
from kmsg_authoring.model import REQUIRED_YAML_FIELDS, TEMPLATE_YAML_FIELDS
from kmsg_authoring.model.shapes import field_schema
from kmsg_authoring.source.project import YamlDoc
from kmsg_authoring.model import TEMPLATE_FILE

KMSG_SETTINGS: dict[str, Any] = {
    "type": "object",
    "description": "kmsg-author settings for this template (never sent to the API).",
    "additionalProperties": False,
    "properties": {
        "jinja": {"type": "boolean", "description": "false: the body is plain HTML, not a Jinja template."},
        "inline_css": {
            "type": "boolean",
            "description": "false: the body is sent exactly as written, CSS not inlined (bodies pulled from the API).",
        },
        "remote_stylesheets": {
            "enum": ["keep", "error"],
            "description": "A <link rel=stylesheet> to a remote URL: kept as written and never fetched (default, "
            "with a lint warning), or a build error. Overrides [build] remote_stylesheets.",
        },
        "lint": {"type": "object", "description": "Lint settings for this template, as [lint] in kmsg.toml."},
        "contract": {
            "type": "object",
            "description": "The token contract with the services that send this template.",
            "additionalProperties": False,
            "properties": {
                "allow_breaking": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "Tokens (or 'token.field', 'cid:id') publish may change incompatibly for callers.",
                },
            },
        },
    },
}


def template_schema(strict: bool = True) -> dict[str, Any]:
    """The schema of template.yaml; strict adds required fields and enumerations (the editor contract).

    The build validates with strict=False: shapes and unknown fields. Missing fields and unknown values
    are the linter's to report, with their rule codes.
    """
    props: dict[str, Any] = {f: field_schema(f, closed=strict) for f in TEMPLATE_YAML_FIELDS}
    props["msgParamsMap"]["description"] = "Token definitions: token name -> {type}."
    props["kmsg"] = KMSG_SETTINGS
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://kmsg-author.dev/schemas/template.json",
        "title": "kmsg-author template.yaml",
        "description": "Metadata of one Kaltura Messaging email template; field names are the API's own.",
        "type": "object",
        "additionalProperties": False,
        "properties": props,
    }
    if strict:
        schema["required"] = list(REQUIRED_YAML_FIELDS)
    return schema


def validate_template_yaml(doc: YamlDoc) -> None:
    """Raise SourceError at the first shape problem or unknown field of template.yaml."""
    from kmsg_authoring.source.jsonschema_lite import iter_problems

    for problem in iter_problems(doc.data, _BUILD_SCHEMA):
        path = [str(p) for p in problem.path]
        if problem.keyword == "additionalProperties":
            node = _BUILD_SCHEMA
            for part in path:  # the object the unknown key stands in (kmsg, kmsg.contract, ...)
                node = node["properties"][part]
            known = list(node["properties"])
            key = problem.extra[0]
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(known)})"
            where = "kmsg setting" if path[:1] == ["kmsg"] else "field"
            raise SourceError(f"unknown {where} '{key}'{hint}", doc.locate(*path, key))
        field = ".".join(path) or TEMPLATE_FILE
        raise SourceError(f"{field}: {problem.message}", doc.locate(*path))


_BUILD_SCHEMA = template_schema(strict=False)
