"""One version: the package's, printed by --version, built into the metadata, with a CHANGELOG section."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib

import kmsg_authoring
from tests.conftest import REPO


def test_the_version_has_one_source_and_a_changelog_section() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert importlib.metadata.version("kmsg-author") == kmsg_authoring.__version__
    changelog = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    assert re.search(rf"^## \[{re.escape(kmsg_authoring.__version__)}\] - \d{{4}}-\d\d-\d\d$", changelog, re.M)
    assert "## [Unreleased]" in changelog


def test_version_option_prints_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", "--version"], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == f"kmsg-author {kmsg_authoring.__version__}"
