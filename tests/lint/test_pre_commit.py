"""The shipped pre-commit hook, run by the real pre-commit framework in a temporary Git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO
from tests.lint.conftest import template_files, write

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _hook() -> dict[str, object]:
    """The shipped hook definition, validated by pre-commit's own manifest schema."""
    from pre_commit.clientlib import load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    return dict(hooks["kmsg-author-lint"])


def _git(repo: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False)


def test_hook_blocks_a_broken_token_and_passes_a_clean_commit(tmp_path: Path) -> None:
    hook = _hook()
    assert hook["entry"] == "kmsg-author lint" and hook["pass_filenames"] is True
    repo = write(tmp_path / "repo", {**template_files(), "kmsg.toml": "", "notes.txt": "not a template\n"})
    # The same hook as a local one: the shipped `language: python` would build a virtualenv and
    # install this package from an index, which needs the network; `system` runs the installed one.
    local = {
        "id": hook["id"], "name": hook["name"], "files": hook["files"], "pass_filenames": hook["pass_filenames"],
        "require_serial": hook["require_serial"], "language": "system",
        "entry": str(hook["entry"]).replace("kmsg-author", f"{sys.executable} -m kmsg_authoring", 1),
    }
    config = {"repos": [{"repo": "local", "hooks": [local]}]}
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {
        **os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"), "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "Designer", "GIT_AUTHOR_EMAIL": "designer@example.com",
        "GIT_COMMITTER_NAME": "Designer", "GIT_COMMITTER_EMAIL": "designer@example.com",
        "NO_COLOR": "1",
    }
    env.pop("PRE_COMMIT", None)
    assert _git(repo, env, "init", "-q").returncode == 0
    installed = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=repo, env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert installed.returncode == 0, installed.stderr

    _git(repo, env, "add", "-A")
    clean = _git(repo, env, "commit", "-q", "-m", "clean template")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "kmsg-author lint" in clean.stdout + clean.stderr  # the hook ran

    body = repo / "templates_src" / "t" / "body.html"
    body.write_text(body.read_text(encoding="utf-8").replace("{recipient.firstName}", "{recipient.firstname}"),
                    encoding="utf-8")
    _git(repo, env, "add", "-A")
    broken = _git(repo, env, "commit", "-q", "-m", "broken token")
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output
    assert "templates_src/t/body.html:5:7: KM103 unknown User field 'firstname'" in output
    assert _git(repo, env, "log", "--format=%s").stdout.split("\n")[0] == "clean template"

    # Files outside templates_src/ do not run the hook at all.
    _git(repo, env, "reset", "-q", "HEAD", "templates_src")
    (repo / "notes.txt").write_text("still not a template\n", encoding="utf-8")
    _git(repo, env, "add", "notes.txt")
    other = _git(repo, env, "commit", "-q", "-m", "notes")
    assert other.returncode == 0, other.stdout + other.stderr
