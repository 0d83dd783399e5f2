"""A contract as text: JSON Schema, a Markdown table, TypeScript types. Pure: a schema in, text out."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kmsg_authoring.contract.schema import ANNOTATION, Schema, token_def

FORMATS: tuple[str, ...] = ("json-schema", "markdown", "typescript")


def to_json(schema: Mapping[str, Any]) -> str:
    """The JSON Schema document, as build/contracts/ holds it."""
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def type_name(slug: str) -> str:
    """The TypeScript name of a template's msgParams type: event-invitation -> EventInvitationMsgParams."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", slug) if w]
    name = "".join(w[:1].upper() + w[1:] for w in words) or "Template"
    return ("T" + name if name[0].isdigit() else name) + "MsgParams"


def _ts(schema: Any, indent: str = "") -> str:
    """The TypeScript type of a JSON Schema (the subset contracts use)."""
    if not isinstance(schema, Mapping) or not schema:
        return "unknown"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " | ".join(_ts(s, indent) for s in schema[key])
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_ts({**schema, "type": k}, indent) for k in kind)
    if kind == "string":
        return "string"
    if kind in ("integer", "number"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "null":
        return "null"
    if kind == "array":
        item = _ts(schema.get("items"), indent)
        return f"({item})[]" if "|" in item else f"{item}[]"
    if kind == "object":
        props = schema.get("properties")
        if not props:
            return "Record<string, unknown>"
        required = set(schema.get("required", ()))
        inner = indent + "  "
        lines = []
        for name, sub in props.items():
            key = name if re.fullmatch(r"[A-Za-z_$][A-Za-z0-9_$]*", name) else json.dumps(name)
            doc = sub.get("description") if isinstance(sub, Mapping) else None
            if doc:
                lines.append(f"{inner}/** {doc} */")
            lines.append(f"{inner}{key}{'' if name in required else '?'}: {_ts(sub, inner)};")
        return "{\n" + "\n".join(lines) + f"\n{indent}}}"
    return "unknown"


def to_typescript(schemas: Sequence[Mapping[str, Any]]) -> str:
    """TypeScript types of contracts: each token type used once, then one msgParams interface per template."""
    defs: dict[str, Any] = {}
    for schema in schemas:
        defs.update(schema.get("$defs", {}))
    names = [str(s.get(ANNOTATION, {}).get("template", "template")) for s in schemas]
    lines = [f"// msgParams of {', '.join(names)}, from the kmsg-author contract(s).", ""]
    for name, sub in defs.items():
        if sub.get("description"):
            lines.append(f"/** {sub['description']} */")
        lines.append(f"export type {name} = {_ts(sub)};")
        lines.append("")
    for schema in schemas:
        info = schema.get(ANNOTATION, {})
        slug = str(info.get("template", "template"))
        body = _ts(
            {"type": "object", "properties": schema.get("properties", {}), "required": schema.get("required", [])}
        )
        lines.append(f"/** msgParams of the template '{info.get('name', slug)}' ({slug}). */")
        lines.append(f"export interface {type_name(slug)} {body}")
        images = info.get("inlineImages") or []
        if images:
            lines.append('/** contentId of each inline image the request must attach (disposition "inline"). */')
            lines.append(
                f"export const {type_name(slug)[: -len('MsgParams')]}InlineImages = "
                f"{json.dumps(images, ensure_ascii=False)} as const;"
            )
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def rows(schema: Mapping[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(token, type, value, used in, User fields) per token of a contract, for tables."""
    info = schema.get(ANNOTATION, {})
    defs = schema.get("$defs", {})
    out = []
    for name, token in info.get("tokens", {}).items():
        kind = str(token.get("type"))
        value = str(defs.get(token_def(kind), {}).get("description", ""))
        used = ", ".join(token.get("usedIn", [])) or "not referenced"
        out.append((name, kind, value, used, ", ".join(token.get("fields", []))))
    return out


def to_markdown(schema: Mapping[str, Any], *, level: int = 3) -> str:
    """A contract as a Markdown section: the token table, the User fields, the inline images."""
    info = schema.get(ANNOTATION, {})
    slug = str(info.get("template", ""))
    lines = [
        f"{'#' * level} {info.get('name', slug)} (`{slug}`)",
        "",
        "| token | type | value | used in | User fields read |",
        "| --- | --- | --- | --- | --- |",
    ]
    for name, kind, value, used, fields in rows(schema):
        lines.append(f"| `{name}` | {kind} | {_cell(value)} | {used} | {fields} |")
    if not info.get("tokens"):
        lines.append("| (none) | | | | |")
    images = info.get("inlineImages") or []
    if images:
        lines += [
            "",
            "Inline images to attach (disposition `inline`): " + ", ".join(f"contentId `{c}`" for c in images) + ".",
        ]
    return "\n".join(lines) + "\n"


def format_contracts(schemas: Sequence[Schema], fmt: str) -> str:
    """Contracts in one of FORMATS; one template's JSON Schema alone, several under "contracts"."""
    if fmt == "markdown":
        return "\n".join(to_markdown(s) for s in schemas)
    if fmt == "typescript":
        return to_typescript(schemas)
    if len(schemas) == 1:
        return to_json(schemas[0])
    by_slug = {str(s.get(ANNOTATION, {}).get("template")): s for s in schemas}
    return json.dumps({"contracts": by_slug}, indent=2, ensure_ascii=False) + "\n"
