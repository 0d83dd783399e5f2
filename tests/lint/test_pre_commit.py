"""The shipped pre-commit hook, run by the real pre-commit framework in a temporary Git repository."""

from __future__ import annotations

import os
import shutil
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

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


def readme_configs() -> list[dict[str, Any]]:
    """The .pre-commit-config.yaml examples of the documentation's Pre-commit section, in order."""
    page = (REPO / "docs" / "linting.md").read_text(encoding="utf-8")
    section = page[page.index("## Pre-commit") :]
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", section, re.DOTALL)]


def _toolkit_repo(dest: Path, env: dict[str, str]) -> str:
    """This checkout's files (tracked and new, not ignored) as a Git repository; its HEAD commit SHA."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split("\0")
    for rel in filter(None, listed):
        source = REPO / rel
        if source.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / rel)
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "toolkit")):
        assert _git(dest, env, *args).returncode == 0
    return _git(dest, env, "rev-parse", "HEAD").stdout.strip()


def _offline_site(dest: Path) -> Path:
    """The installed dependencies, without this package, pip or setuptools, for PYTHONPATH.

    pre-commit installs the hook with `pip install .` into a fresh virtualenv. Tests have no network,
    so pip is told to use no index, and the dependencies are found on PYTHONPATH instead of downloaded;
    the hook itself, from the toolkit repository at its commit, is installed for real.
    """
    site = Path(sysconfig.get_paths()["purelib"])
    dest.mkdir()
    skip = ("kmsg_author", "__editable__", "pip", "setuptools", "_distutils_hack", "distutils-precedence")
    for entry in site.iterdir():
        if not entry.name.startswith(skip) and entry.suffix != ".pth":
            (dest / entry.name).symlink_to(entry)
    return dest


def test_readme_configuration_installs_the_hook_from_the_toolkit_repository(tmp_path: Path) -> None:
    """The documentation's first configuration, with the toolkit's repository at a real commit, run by pre-commit."""
    hook = _hook()
    assert hook["entry"] == "kmsg-author lint" and hook["pass_filenames"] is True
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "Designer",
        "GIT_AUTHOR_EMAIL": "designer@example.com",
        "GIT_COMMITTER_NAME": "Designer",
        "GIT_COMMITTER_EMAIL": "designer@example.com",
        "NO_COLOR": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "PYTHONPATH": str(_offline_site(tmp_path / "site")),
    }
    env.pop("PRE_COMMIT", None)
    toolkit = tmp_path / "toolkit"
    sha = _toolkit_repo(toolkit, env)
    config = readme_configs()[0]
    (entry,) = config["repos"]
    assert entry["repo"].startswith("https://") and entry["hooks"] == [{"id": "kmsg-author-lint"}]
    # Not a made-up tag the toolkit's repository lacks: a placeholder the team fills with a commit of theirs.
    assert str(entry["rev"]).startswith("<") and "SHA" in str(entry["rev"]), entry["rev"]
    # What a team with a local checkout writes: its path and a commit it has.
    entry["repo"], entry["rev"] = str(toolkit), sha
    repo = write(tmp_path / "repo", {**template_files(), "kmsg.toml": "", "notes.txt": "not a template\n"})
    (repo / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert _git(repo, env, "init", "-q").returncode == 0
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr

    _git(repo, env, "add", "-A")
    clean = _git(repo, env, "commit", "-q", "-m", "clean template")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "kmsg-author lint" in clean.stdout + clean.stderr  # the hook ran

    body = repo / "templates_src" / "t" / "body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace("{recipient.firstName}", "{recipient.firstname}"), encoding="utf-8"
    )
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


def test_readme_local_configuration_is_what_init_writes(tmp_path: Path) -> None:
    """The second configuration of docs/linting.md is what `kmsg-author init` writes (run in tests/test_init.py)."""
    from kmsg_authoring.source.scaffold import init_project

    init_project(tmp_path)
    written = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert readme_configs()[1] == written
    (local,) = written["repos"][0]["hooks"]
    shipped = _hook()
    assert {k: local[k] for k in ("id", "name", "entry", "files", "pass_filenames", "require_serial")} == {
        k: shipped[k] for k in ("id", "name", "entry", "files", "pass_filenames", "require_serial")
    }


def test_what_init_writes_works_on_a_fresh_clone_and_fails_clearly_without_kmsg_author(tmp_path: Path) -> None:
    """A teammate clones the project: with kmsg-author on PATH the hook lints; without it the commit stops
    with pre-commit's "not found", never passing in silence."""
    from kmsg_authoring.source.scaffold import init_project

    bin_dir = str(Path(sys.executable).parent)
    base_path = os.pathsep.join(
        p for p in os.environ.get("PATH", "").split(os.pathsep) if p and not (Path(p) / "kmsg-author").exists()
    )
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "HOME": str(tmp_path),
        "GIT_AUTHOR_NAME": "Designer",
        "GIT_AUTHOR_EMAIL": "designer@example.com",
        "GIT_COMMITTER_NAME": "Designer",
        "GIT_COMMITTER_EMAIL": "designer@example.com",
        "NO_COLOR": "1",
        "PATH": base_path,
    }
    env.pop("PRE_COMMIT", None)
    origin = tmp_path / "origin"
    init_project(origin)
    assert "kmsg-author on PATH" in (origin / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    for args in (("init", "-q"), ("add", "-A"), ("commit", "-q", "-m", "project")):
        assert _git(origin, env, *args).returncode == 0
    clone = tmp_path / "clone"
    assert _git(tmp_path, env, "clone", "-q", str(origin), str(clone)).returncode == 0
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"], cwd=clone, env=env, capture_output=True, text=True, timeout=120
    )
    assert installed.returncode == 0, installed.stderr
    body = clone / "templates_src" / "welcome" / "body.html"
    body.write_text(body.read_text(encoding="utf-8").replace("</h1>", " again</h1>"), encoding="utf-8")
    _git(clone, env, "add", "-A")

    missing = _git(clone, env, "commit", "-q", "-m", "edit")
    assert missing.returncode != 0
    assert "Executable `kmsg-author` not found" in missing.stdout + missing.stderr

    env["PATH"] = f"{bin_dir}{os.pathsep}{base_path}"
    found = _git(clone, env, "commit", "-q", "-m", "edit")
    assert found.returncode == 0, found.stdout + found.stderr
    assert "kmsg-author lint" in found.stdout + found.stderr and "Passed" in found.stdout + found.stderr
