"""MkDocs hooks: the pages written from the code, so the site, `kmsg-author rules` and `--help` agree.

- `rules/KMxxx.md` for every rule of the lint catalog, from the rule's docstring, and `rules/index.md`;
- `commands/<name>.md` for every command, from its argparse parser, and `commands/index.md`;
- `configuration.md`, the kmsg.toml reference, from the declarations its readers check tables against;
- `index.md`, the README itself, its links made relative to docs/.

They are added to the build as generated files; nothing is written into docs/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
from contextlib import redirect_stdout
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.structure.files import File, Files

if TYPE_CHECKING:
    from kmsg_authoring.source.config_schema import Key, Section


def _rule_pages() -> dict[str, str]:
    from kmsg_authoring.lint.explain import rule_page
    from kmsg_authoring.lint.registry import catalog

    rules = catalog()
    rows = [
        "# Lint rules",
        "",
        "Every rule `kmsg-author lint` (and `build`, `plan`, `publish`, the preview) applies.",
        "",
    ]
    rows += ["| code | name | severity | what it checks |", "| --- | --- | --- | --- |"]
    pages = {}
    for code, rule in rules.items():
        pages[f"rules/{code}.md"] = rule_page(rule)
        rows.append(f"| [{code}]({code}.md) | `{rule.name}` | {rule.severity} | {rule.summary} |")
    pages["rules/index.md"] = "\n".join(rows) + "\n"
    return pages


def _help(parser: argparse.ArgumentParser) -> str:
    # argparse wraps to the terminal's width; pages are written at a fixed one.
    os.environ["COLUMNS"] = "100"
    buffer = io.StringIO()
    with redirect_stdout(buffer):
        parser.print_help()
    return buffer.getvalue()


def _command_pages() -> dict[str, str]:
    from kmsg_authoring.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    rows = ["# Commands", "", "Every command has `--help`, which prints what its page shows.", "", "```text"]
    rows += [_help(parser).rstrip(), "```", "", "| command | what it does |", "| --- | --- |"]
    pages = {}
    helps = {a.dest: a.help for a in sub._choices_actions}
    for name, command in sub.choices.items():
        text = command.description or helps.get(name) or ""
        pages[f"commands/{name}.md"] = f"# kmsg-author {name}\n\n{text}\n\n```text\n{_help(command).rstrip()}\n```\n"
        rows.append(f"| [`{name}`]({name}.md) | {helps.get(name) or text.split('. ')[0]} |")
    pages["commands/index.md"] = "\n".join(rows) + "\n"
    return pages


def config_sections() -> list[Section]:
    """Every section of kmsg.toml as its reader declares it, in the order of config.SECTIONS."""
    from kmsg_authoring.lint.settings import SECTION as LINT
    from kmsg_authoring.review.snapshot import SECTION as SNAPSHOT
    from kmsg_authoring.source import config

    declared = [config.BUILD, config.MJML, config.BRAND, LINT, config.ENVIRONMENT, SNAPSHOT, config.I18N]
    declared.append(config.DELIVERABILITY)
    order = {name: i for i, name in enumerate(config.SECTIONS)}
    return sorted(declared, key=lambda s: order[s.name.split(".")[0]])


def toml_value(value: Any) -> str:
    """A value as kmsg.toml spells it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = (
            f"{k if re.fullmatch(r'[A-Za-z0-9_-]+', k) else json.dumps(k)} = {toml_value(v)}" for k, v in value.items()
        )
        return "{ " + ", ".join(pairs) + " }" if value else "{}"
    return json.dumps(value)


def _cell(text: str) -> str:
    """Text for a table cell: `|` escaped, and `<` outside code spans, so no words read as HTML."""
    parts = text.replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else p.replace("&", "&amp;").replace("<", "&lt;") for i, p in enumerate(parts))


def _default(key: Key) -> str:
    if key.default_text:
        return _cell(key.default_text)
    return f"`{toml_value(key.default)}`" if key.default is not None else ""


def config_example() -> str:
    """A kmsg.toml with every section, each key at its example value (else its default)."""
    lines = ["# kmsg.toml: every section and key is optional."]
    for section in config_sections():
        lines += ["", f"[{section.name.replace('<name>', 'staging')}]"]
        if section.free:
            lines.append('company = "Example Events"')
        for key in section.keys:
            value = key.default if key.example is None else key.example
            if value is not None:
                lines.append(f"{key.name} = {toml_value(value)}")
    return "\n".join(lines) + "\n"


def configuration_page() -> str:
    """The kmsg.toml reference: a table per section, then an example."""
    rows = [
        "# Configuration: kmsg.toml",
        "",
        "`kmsg.toml` at the project root holds the project's settings. Every section and every key is",
        "optional; a section or key not listed here is an error that names the closest one that exists.",
        "This page is written from the declarations the code checks kmsg.toml against.",
    ]
    for section in config_sections():
        rows += ["", f"## `[{section.name}]`", "", _cell(section.help), ""]
        if section.free:
            continue
        rows += ["| key | type | default | allowed values | what it does |", "| --- | --- | --- | --- | --- |"]
        for key in section.keys:
            allowed = ", ".join(f"`{toml_value(c)}`" for c in key.choices)
            rows.append(f"| `{key.name}` | {key.type} | {_default(key)} | {allowed} | {_cell(key.help)} |")
    rows += ["", "## Example", "", "```toml", config_example().rstrip(), "```"]
    return "\n".join(rows) + "\n"


def _home() -> dict[str, str]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return {"index.md": readme.replace("](docs/", "](")}


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages to the site."""
    pages = {**_home(), **_rule_pages(), **_command_pages(), "configuration.md": configuration_page()}
    for path, text in pages.items():
        files.append(File.generated(config, path, content=text))
    return files
