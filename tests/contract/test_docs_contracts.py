"""The documentation shows the example templates' contracts as `kmsg-author contract --format markdown` prints them."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from tests.conftest import REPO


def test_the_documentation_holds_the_example_contracts(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["-C", str(example_project), "contract", "--format", "markdown"]) == 0
    printed = capsys.readouterr().out
    page = (REPO / "docs" / "contract.md").read_text(encoding="utf-8")
    sections = printed.strip().split("\n\n### ")
    assert len(sections) == 4
    for section in sections:
        body = section.removeprefix("### ")
        assert "### " + body in page, body.splitlines()[0]
