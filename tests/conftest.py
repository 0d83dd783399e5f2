"""Shared fixtures: small template projects built from a dict, the real-world corpus, the examples."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "templates_src"
CORPUS = REPO.parent / "shared" / "corpus"


def corpus_files() -> list[Path]:
    """Every HTML file of the shared corpus (empty where it is absent)."""
    return sorted(CORPUS.rglob("*.html")) if CORPUS.is_dir() else []


requires_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason="../shared/corpus is absent (it ships beside the repository in CI only)"
)

MINIMAL_YAML = """\
name: Minimal
subject: Hello {recipient.firstName}
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
"""
MINIMAL_BODY = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title></head>
<body><div style="display: none">Your ticket and the venue map are inside.</div><p>Hi {recipient.firstName}</p>\
</body></html>
"""


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write files (relative path -> text or bytes) under root; text is dedented."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content), encoding="utf-8")
    return root


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[[dict[str, str | bytes]], Path]:
    """Build a project from {path: content}; paths are relative to the project root."""

    def make(files: dict[str, str | bytes]) -> Path:
        return write_tree(tmp_path / "proj", files)

    return make


@pytest.fixture
def example_project(tmp_path: Path) -> Path:
    """A copy of the repository's example project (kmsg.toml and templates_src/)."""
    dest = tmp_path / "examples"
    shutil.copytree(EXAMPLES, dest / "templates_src")
    if (REPO / "kmsg.toml").is_file():
        shutil.copy(REPO / "kmsg.toml", dest / "kmsg.toml")
    return dest
