"""The support summary of a template: each feature it uses, per targeted client supported / partial /
unsupported, an overall line, and what the CSS inliner leaves to clients that strip <style> blocks."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import Location
from kmsg_authoring.lint.caniemail import HARMLESS, PARTIAL, SUPPORTED, UNSUPPORTED, Data, load
from kmsg_authoring.lint.features import applies, lacking, scan

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.source.config import Config

NOT_READ = "-"  # the client never reads this use (MSO-only, hidden from MSO, behind an unsupported @media)
WORDS = {SUPPORTED: "supported", PARTIAL: "partial", UNSUPPORTED: "unsupported", "u": "unknown", NOT_READ: "not read"}
_RANK = {NOT_READ: 0, SUPPORTED: 1, "u": 2, PARTIAL: 3, UNSUPPORTED: 4}
_STYLE_BLOCK = re.compile(r"<style\b[^>]*>(.*?)</style\s*>", re.IGNORECASE | re.DOTALL)
_MSO_COMMENT = re.compile(r"<!--\[if[^\]]*mso[^\]]*\]>.*?<!\[endif\]-->", re.IGNORECASE | re.DOTALL)


@dataclass(frozen=True)
class FeatureRow:
    """One feature a template uses: where first, and its worst support per targeted client."""

    slug: str
    title: str
    url: str
    location: Location
    uses: int
    cells: dict[str, str]  # client -> y / a / n / u / NOT_READ
    notes: dict[str, str]  # client -> the data's note, where there is one


@dataclass(frozen=True)
class TemplateCompat:
    """The support summary of one template."""

    slug: str
    clients: tuple[str, ...]
    names: dict[str, str]
    rows: list[FeatureRow]
    status: dict[str, str]  # client -> supported / partial / unsupported
    lacks: dict[str, list[str]]  # client -> titles of the features it does not support
    inliner: list[str] = field(default_factory=list)

    @property
    def overall(self) -> str:
        """ "fully supported in 9 of 12 targeted clients; partial in 2; Outlook (Windows) lacks 3 features"."""
        full = sum(1 for s in self.status.values() if s == "supported")
        partial = sum(1 for s in self.status.values() if s == "partial")
        parts = [f"fully supported in {full} of {len(self.clients)} targeted clients", f"partial in {partial}"]
        for client in self.clients:
            n = len(self.lacks.get(client, []))
            if n:
                parts.append(f"{self.names[client]} lacks {n} feature{'s' if n != 1 else ''}")
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {
            "template": self.slug,
            "overall": self.overall,
            "clients": [
                {"client": c, "name": self.names[c], "status": self.status[c], "lacks": self.lacks.get(c, [])}
                for c in self.clients
            ],
            "features": [
                {
                    "feature": r.slug,
                    "title": r.title,
                    "url": r.url,
                    "location": str(r.location),
                    "uses": r.uses,
                    "support": {c: WORDS[v] for c, v in r.cells.items()},
                    "notes": r.notes,
                }
                for r in self.rows
            ],
            "inliner": self.inliner,
        }


def summarize(
    compiled: CompiledTemplate, config: Config | None, clients: tuple[str, ...] | None = None, data: Data | None = None
) -> TemplateCompat:
    """The support summary of a compiled template for its targeted clients (the settings' by default)."""
    from kmsg_authoring.lint.settings import resolve_clients

    data = data or load()
    if clients is None:
        clients = resolve_clients(config.lint if config else None, compiled.settings.get("lint"), compiled.meta)
    rows: dict[str, dict[str, Any]] = {}
    found = scan(compiled, data, config.root if config else None)
    for use in found.uses:
        feature = data.features[use.feature]
        row = rows.setdefault(
            use.feature, {"location": found.at(use), "uses": 0, "cells": dict.fromkeys(clients, NOT_READ)}
        )
        row["uses"] += 1
        missing, _ = lacking(feature, clients, use.inside) if use.inside else ([], [])
        for client in applies(use, clients, data):
            value = UNSUPPORTED if client in missing else feature.value(client)
            if _RANK[value] > _RANK[row["cells"][client]]:
                row["cells"][client] = value
    out_rows: list[FeatureRow] = []
    status = dict.fromkeys(clients, "supported")
    lacks: dict[str, list[str]] = {}
    for slug, row in rows.items():
        feature = data.features[slug]
        notes = {
            c: feature.on(c).note for c, v in row["cells"].items() if v in (PARTIAL, UNSUPPORTED) and feature.on(c).note
        }
        out_rows.append(FeatureRow(slug, feature.title, feature.url, row["location"], row["uses"], row["cells"], notes))
        for client, value in row["cells"].items():
            if slug in HARMLESS:
                continue
            if value == UNSUPPORTED:
                status[client] = "unsupported"
                lacks.setdefault(client, []).append(feature.title)
            elif value == PARTIAL and status[client] == "supported":
                status[client] = "partial"
    return TemplateCompat(
        compiled.slug,
        clients,
        {c: data.name(c) for c in clients},
        out_rows,
        status,
        lacks,
        inliner_notes(compiled, clients, data),
    )


def inliner_notes(compiled: CompiledTemplate, clients: tuple[str, ...], data: Data) -> list[str]:
    """Which targeted clients strip the <style> blocks (and media queries) the compiled body keeps."""
    body = _MSO_COMMENT.sub("", compiled.body)
    blocks = [b for b in _STYLE_BLOCK.findall(body) if b.strip()]
    if not blocks:
        return []
    notes: list[str] = []
    for slug, what in (
        ("html-style", "the <style> block the inliner keeps (rules it cannot inline)"),
        ("css-at-media", "its media queries"),
    ):
        if slug == "css-at-media" and not any("@media" in b.lower() for b in blocks):
            continue
        feature = data.features[slug]
        missing = [data.name(c) for c in clients if feature.value(c) == UNSUPPORTED]
        partial = [data.name(c) for c in clients if feature.value(c) == PARTIAL]
        if missing or partial:
            text = f"the compiled body depends on {what}: "
            text += "; ".join(
                p
                for p in (
                    f"stripped by {', '.join(missing)}" if missing else "",
                    f"partly kept by {', '.join(partial)}" if partial else "",
                )
                if p
            )
            notes.append(text)
    return notes


def format_text(summaries: list[TemplateCompat]) -> str:
    """A plain-text summary per template: the overall line, each client, each feature that is not fully supported."""
    lines: list[str] = []
    for s in summaries:
        lines.append(f"{s.slug}: {s.overall}")
        for c in s.clients:
            lacks = s.lacks.get(c, [])
            lines.append(f"  {s.names[c]:<32} {s.status[c]}" + (f" (lacks {', '.join(lacks)})" if lacks else ""))
        for row in s.rows:
            bad = [c for c, v in row.cells.items() if v in (PARTIAL, UNSUPPORTED)]
            if bad:
                cells = ", ".join(f"{s.names[c]}: {WORDS[row.cells[c]]}" for c in bad)
                lines.append(f"  {row.location}: {row.title} ({cells}) {row.url}")
        for note in s.inliner:
            lines.append(f"  note: {note}")
        lines.append("")
    return "\n".join(lines)


def format_json(summaries: list[TemplateCompat]) -> str:
    """The summaries as JSON."""
    return json.dumps([s.to_json() for s in summaries], indent=2, ensure_ascii=False) + "\n"


_MARK = {SUPPORTED: "yes", PARTIAL: "partial", UNSUPPORTED: "**no**", "u": "?", NOT_READ: "-"}


def format_markdown(summaries: list[TemplateCompat]) -> str:
    """A Markdown table per template: features by targeted client."""
    out: list[str] = []
    for s in summaries:
        out += [f"## {s.slug}", "", s.overall, ""]
        out.append("| Feature | " + " | ".join(s.names[c] for c in s.clients) + " |")
        out.append("|---" * (len(s.clients) + 1) + "|")
        for row in s.rows:
            cells = " | ".join(_MARK[row.cells[c]] for c in s.clients)
            out.append(f"| [{row.title.replace('|', '/')}]({row.url}) | {cells} |")
        out.append("")
        out += [f"- {note}" for note in s.inliner]
        if s.inliner:
            out.append("")
    return "\n".join(out)


FORMATS = {"text": format_text, "json": format_json, "markdown": format_markdown}


@dataclass
class ClientTargets:
    """The mail clients of the Can I email data, which ones are targeted and where that choice comes from."""

    clients: dict[str, str]  # family.platform -> name
    chosen: set[str]
    source: str


def targeted_clients(config: Config, template: str | None = None) -> ClientTargets:
    """The clients the project targets, or a template's (by slug or folder) when one is named."""
    from kmsg_authoring.lint.settings import resolve_clients
    from kmsg_authoring.source.targets import resolve_slugs, template_doc

    template_lint = None
    meta = None
    if template:
        _, meta = template_doc(config, resolve_slugs(config, [template])[0])
        kmsg = meta.data.get("kmsg") if isinstance(meta.data, dict) else None
        template_lint = kmsg.get("lint") if isinstance(kmsg, dict) else None
    chosen = set(resolve_clients(config.lint, template_lint, meta))
    source = (
        "the template's kmsg.lint.clients"
        if isinstance(template_lint, dict) and "clients" in template_lint
        else "[lint] clients in kmsg.toml"
        if "clients" in config.lint
        else "the default list"
    )
    return ClientTargets(dict(load().clients), chosen, source)
