"""`kmsg-author init`: a new project that builds, lints and previews clean, run as a user runs it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from tests.conftest import REPO

BIN = Path(sys.executable).parent


def _run(cwd: Path, *argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_readme_shows_the_init_chain() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert (
        "kmsg-author init demo && cd demo && kmsg-author build && kmsg-author lint && kmsg-author preview --all"
    ) in readme


def test_init_then_build_lint_and_preview_all_in_a_shell(tmp_path: Path) -> None:
    """The README's chain, in a real shell with the installed console script, then the hook in a real commit."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        "NO_COLOR": "1",
        "HOME": str(tmp_path),
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        "GIT_AUTHOR_NAME": "Designer",
        "GIT_AUTHOR_EMAIL": "designer@example.com",
        "GIT_COMMITTER_NAME": "Designer",
        "GIT_COMMITTER_EMAIL": "designer@example.com",
    }
    env.pop("PRE_COMMIT", None)
    chain = "kmsg-author init demo && cd demo && kmsg-author build && kmsg-author lint && kmsg-author preview --all"
    done = _run(tmp_path, "sh", "-c", chain, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "built 1 of 1 templates" in done.stdout and "1 template checked, no problems" in done.stdout
    demo = tmp_path / "demo"
    assert (demo / "build/welcome.json").is_file() and (demo / "preview-out/welcome/index.html").is_file()
    assert (demo / ".gitignore").read_text(encoding="utf-8").splitlines()[1:] == ["build/", "preview-out/"]
    toml = (demo / "kmsg.toml").read_text(encoding="utf-8")
    assert re.search(r"^# \[environments\.staging\]$", toml, re.MULTILINE) and "# app_guid" in toml
    assert _run(demo, "kmsg-author", "lint", "--strict", env=env).returncode == 0

    # The generated pre-commit configuration runs the hook: a broken token cannot be committed.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    assert _run(demo, "git", "init", "-q", env=env).returncode == 0
    installed = _run(demo, sys.executable, "-m", "pre_commit", "install", env=env)
    assert installed.returncode == 0, installed.stderr
    _run(demo, "git", "add", "-A", env=env)
    clean = _run(demo, "git", "commit", "-q", "-m", "new project", env=env)
    assert clean.returncode == 0 and "kmsg-author lint" in clean.stdout + clean.stderr, clean.stdout + clean.stderr
    assert "build/" not in _run(demo, "git", "ls-files", env=env).stdout  # ignored outputs stay out
    body = demo / "templates_src/welcome/body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace("{recipient.firstName}", "{recipient.firstname}"), encoding="utf-8"
    )
    _run(demo, "git", "add", "-A", env=env)
    broken = _run(demo, "git", "commit", "-q", "-m", "typo", env=env)
    assert broken.returncode != 0 and "KM103 unknown User field 'firstname'" in broken.stdout + broken.stderr


def test_init_refuses_to_overwrite(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kmsg.toml").write_text("# mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "kmsg.toml" in err and "nothing was written" in err
    assert (tmp_path / "kmsg.toml").read_text(encoding="utf-8") == "# mine\n"
    assert not (tmp_path / "templates_src").exists() and not (tmp_path / ".gitignore").exists()
    assert main(["init", str(tmp_path / "fresh")]) == 0
    assert main(["init", str(tmp_path / "fresh")]) == 2
