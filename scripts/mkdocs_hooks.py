"""MkDocs hooks: the pages written from the code, so the site, `kmsg-author rules` and `--help` agree.

- `rules/KMxxx.md` for every rule of the lint catalog, from the rule's docstring, and `rules/index.md`;
- `commands/<name>.md` for every command, from its argparse parser, and `commands/index.md`;
- `index.md`, the README itself, its links made relative to docs/.

They are added to the build as generated files; nothing is written into docs/.
"""

from __future__ import annotations

import argparse
import io
import os
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files


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


def _home() -> dict[str, str]:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    return {"index.md": readme.replace("](docs/", "](")}


def on_files(files: Files, config: Any) -> Files:
    """Add the generated pages to the site."""
    for path, text in {**_home(), **_rule_pages(), **_command_pages()}.items():
        files.append(File.generated(config, path, content=text))
    return files
