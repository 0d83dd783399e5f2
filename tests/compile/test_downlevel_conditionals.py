"""Downlevel-revealed conditional comments (`<![if !mso]> ... <![endif]>`) come through compiling byte for byte.

Outlook for Windows reads `<![if !mso]>` and hides what follows up to `<![endif]>`; every other
client ignores the two tags and shows the content. Turned into ordinary comments (as both CSS
inliners' HTML parsers do), the content would be shown to Outlook and the markers lost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.compile import compile_template
from kmsg_authoring.source.config import load_config
from tests.conftest import MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
BODY = """\
<!DOCTYPE html>
<html><head><style>p { color: #123456; }</style></head>
<body>
<![if !mso]><p>Web view for {recipient.firstName}</p><![endif]>
<![if gte mso 9]>
<p>Outlook only</p>
<![endif]>
<!--[if !mso]><!--><p>Revealed the other way</p><!--<![endif]-->
</body></html>
"""


@pytest.mark.parametrize("inliner", ["css-inline", "premailer"])
def test_downlevel_revealed_conditionals_are_kept_byte_for_byte(make_project: Project, inliner: str) -> None:
    root = make_project(
        {
            "kmsg.toml": f'[build]\ninliner = "{inliner}"\n',
            "templates_src/t/template.yaml": MINIMAL_YAML,
            "templates_src/t/body.html": BODY,
        }
    )
    body = compile_template(load_config(root), "t").body
    assert "<![if !mso]><p" in body and "</p><![endif]>" in body, body
    assert "<![if gte mso 9]>\n<p" in body and "Outlook only</p>\n<![endif]>" in body, body
    assert "<!--[if !mso]><!--><p" in body and "</p><!--<![endif]-->" in body, body
    assert "<!--[if !mso]-->" not in body and "<!--[endif]-->" not in body, body
    assert 'style="color' in body  # the CSS was still inlined around them
