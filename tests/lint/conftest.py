"""Helpers for linter tests: one-template projects built from a few fields, compiled and linted."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.compile import compile_template
from kmsg_authoring.source.config import load_config
from kmsg_authoring.lint import Problem, lint_template

PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Test</title></head>
<body>{preheader}
{body}
</body>
</html>
"""


def template_files(
    body: str = "<p>Hi {recipient.firstName}</p>",
    *,
    tokens: dict[str, str] | None = None,
    subject: str = "Hello {recipient.firstName}",
    to: str = "{recipient.email}",
    extra: str = "",
    page: bool = True,
    jinja: bool = True,
    slug: str = "t",
    name: str | None = "Test",
    mjml: bool = False,
    preheader: str | None = "Your ticket and the venue map are inside.",
) -> dict[str, str]:
    """The files of a project with one template: recipient (User) plus the given tokens (mjml: the
    body, verbatim, is body.mjml). The page has a hidden preheader on the <body> line unless
    preheader is None."""
    params = {"recipient": "User", **(tokens or {})}
    lines = [f"name: {json.dumps(name)}"] if name is not None else []
    lines += [f"subject: {json.dumps(subject)}", f"toAttributePath: {json.dumps(to)}", "msgParamsMap:"]
    lines += [f"  {json.dumps(k)}: {{type: {json.dumps(v)}}}" for k, v in params.items()]
    if not jinja:
        lines += ["kmsg:", "  jinja: false"]
    yaml_text = "\n".join(lines) + "\n" + extra
    if mjml:
        return {f"templates_src/{slug}/template.yaml": yaml_text, f"templates_src/{slug}/body.mjml": body}
    return {
        f"templates_src/{slug}/template.yaml": yaml_text,
        f"templates_src/{slug}/body.html": PAGE.format(body=body, preheader=_hidden(preheader)) if page else body,
    }


def _hidden(preheader: str | None) -> str:
    return "" if preheader is None else f'<div style="display: none; mso-hide: all;">{preheader}</div>'


def write(root: Path, files: dict[str, str] | dict[str, str | bytes]) -> Path:
    """Write files verbatim (no dedent: YAML and HTML here are exact; bytes as they are)."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    return root


LintFn = Callable[..., list[Problem]]


@pytest.fixture
def lint_one(tmp_path: Path) -> LintFn:
    """Lint a one-template project made by template_files(**kw); extra files via files={...}."""
    counter = iter(range(1000))

    def run(
        *, files: dict[str, str] | None = None, toml: str = "", locale: str | None = None, **kw: Any
    ) -> list[Problem]:
        root = tmp_path / f"p{next(counter)}"
        write(root, {**template_files(**kw), **(files or {}), "kmsg.toml": toml})
        config = load_config(root)
        compiled = compile_template(config, kw.get("slug", "t"), locale=locale)
        return lint_template(compiled, config)

    return run


def codes(problems: list[Problem]) -> set[str]:
    """The rule codes among problems."""
    return {p.code for p in problems}
