"""An MJML body with mj-wrapper compiles to balanced Outlook conditionals (no element mark breaks them)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.compile import compile_template
from kmsg_authoring.lint import lint_template
from kmsg_authoring.source.config import load_config
from tests.conftest import MINIMAL_YAML

pytest.importorskip("mjml")
Project = Callable[[dict[str, str | bytes]], Path]
BODY = """\
<mjml><mj-body>
<mj-wrapper background-color="#eeeeee" padding="20px">
  <mj-section><mj-column><mj-text>Hello {recipient.firstName}</mj-text></mj-column></mj-section>
  <mj-section><mj-column><mj-text>See you there</mj-text></mj-column></mj-section>
</mj-wrapper>
</mj-body></mjml>
"""


def test_a_wrapper_compiles_to_balanced_mso_conditionals(make_project: Project) -> None:
    root = make_project(
        {
            "kmsg.toml": '[lint]\nclients = ["outlook.windows"]\n',
            "templates_src/w/template.yaml": MINIMAL_YAML,
            "templates_src/w/body.mjml": BODY,
        }
    )
    config = load_config(root)
    compiled = compile_template(config, "w")
    body = compiled.body
    opened = re.findall(r"<!--\[if [^\]]+\]>", body)
    closed = re.findall(r"<!\[endif\]-->", body)
    assert opened and len(opened) == len(closed), body
    assert "<!--[endif]" not in body and "kmsgloc" not in body, body
    # Each conditional closes before the next comment opens: nothing nests inside one.
    for m in re.finditer(r"<!--\[if mso[^\]]*\]>(.*?)<!\[endif\]-->", body, re.DOTALL):
        assert "<!--" not in m.group(1) and "-->" not in m.group(1), m.group(0)
    assert 'role="presentation"></td>' not in body, body  # no row MRML made for a comment
    assert not [str(p) for p in lint_template(compiled, config) if p.code == "KM647"]
