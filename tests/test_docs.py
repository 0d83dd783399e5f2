"""The documentation site builds with `mkdocs build --strict`, with one page per lint rule and per command."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

from kmsg_authoring.lint.registry import catalog
from tests.conftest import REPO


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return out


def test_every_rule_has_its_page_written_from_its_docstring(site: Path) -> None:
    for code, rule in catalog().items():
        page = site / "rules" / code / "index.html"
        assert page.is_file(), code
        html = page.read_text(encoding="utf-8")
        text = unescape(re.sub(r"<[^>]+>", "", html))
        assert rule.name in text and rule.summary.replace("`", "") in text, code
        for title in rule.sections:
            assert re.search(rf"<h2[^>]*>{re.escape(title)}", html), (code, title)


def test_every_command_has_its_page_with_its_help(site: Path) -> None:
    from kmsg_authoring.cli import COMMANDS

    for module in COMMANDS:
        name = module.replace("_", "-")
        page = site / "commands" / name / "index.html"
        assert page.is_file(), name
        assert f"usage: kmsg-author {name}" in unescape(page.read_text(encoding="utf-8")), name


def test_the_readme_stays_short() -> None:
    """The README is the front door: what the tool is, the two commands, a tour and links (< 250 lines)."""
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) < 250
