"""Engine availability for the visual review tests; projects with a git history to compare against."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kmsg_authoring.review.chromium import chromium_path

from kmsg_authoring.review.firefox import firefox_path

from kmsg_authoring.review.webkit import minibrowser_path

# CI installs every engine and sets KMSG_REQUIRE_BROWSER, so there a missing engine fails instead of skipping.
REQUIRED = bool(os.environ.get("KMSG_REQUIRE_BROWSER"))


def _have_chromium() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return chromium_path() is not None


def _have_webkit() -> bool:
    try:
        import selenium  # noqa: F401
    except ImportError:
        return False
    return bool(shutil.which("WebKitWebDriver") and minibrowser_path() and shutil.which("Xvfb"))


def _have_firefox() -> bool:
    try:
        import marionette_driver  # noqa: F401
    except ImportError:
        return False
    return firefox_path() is not None


def needs(engine: str) -> pytest.MarkDecorator:
    """Skip (outside CI) when an engine is not installed."""
    have = {"chromium": _have_chromium, "webkit": _have_webkit, "firefox": _have_firefox}[engine]()
    return pytest.mark.skipif(
        not have and not REQUIRED, reason=f"the {engine} engine is not installed (.ci/run installs it)"
    )


def git(root: Path, *args: str) -> str:
    """Run git in root; its output."""
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout


def commit_all(root: Path, message: str = "change") -> None:
    """Commit everything in root (a repository is made on first use)."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
