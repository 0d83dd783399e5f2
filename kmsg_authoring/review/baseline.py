"""The baseline of a comparison: a snapshot folder, or a Git revision snapshotted from a temporary worktree.

A revision's sources are checked out with `git worktree add --detach` into a temporary folder and
snapshotted with this same toolkit and the same engines, so the only difference between the two
sets is the change under review. The worktree is removed afterwards, whatever happened.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.errors import KmsgError, UsageError
from kmsg_authoring.review.snapshot import MANIFEST, SnapshotResult, take_snapshots

if TYPE_CHECKING:
    from kmsg_authoring.review.engines import Engines
    from kmsg_authoring.source.config import Config

GIT_TIMEOUT = 120.0


def _git(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False)
    except FileNotFoundError:
        raise UsageError("comparing with a Git revision needs git, which is not installed") from None
    except subprocess.TimeoutExpired:
        raise KmsgError(f"git {' '.join(args[:2])} did not finish within {GIT_TIMEOUT:.0f} s") from None


def is_snapshot_folder(path: Path) -> bool:
    """A folder written by `kmsg-author snapshot` (it has a manifest.json)."""
    return path.is_dir() and (path / MANIFEST).is_file()


def resolve_revision(root: Path, rev: str) -> tuple[Path, str]:
    """(Git top-level folder, full commit id) of a revision; UsageError when it names none."""
    top = _git(root, "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise UsageError(f"'{rev}' is not a snapshot folder, and {root} is not in a Git repository")
    commit = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    if commit.returncode != 0 or not commit.stdout.strip():
        raise UsageError(f"'{rev}' is neither a snapshot folder (with {MANIFEST}) nor a Git revision")
    return Path(top.stdout.strip()), commit.stdout.strip()


def snapshot_revision(
    config: Config,
    rev: str,
    out_dir: Path,
    *,
    slugs: Sequence[str] | None,
    engines: Engines,
    widths: Sequence[int],
    schemes: Sequence[str],
    progress: Callable[[str], None] | None = None,
) -> SnapshotResult:
    """Snapshot the templates of a Git revision into out_dir, from a temporary worktree."""
    from kmsg_authoring.source.config import load_config
    from kmsg_authoring.source.project import discover

    top, commit = resolve_revision(config.root, rev)
    try:
        inside = config.root.resolve().relative_to(top.resolve())
    except ValueError:
        raise UsageError(f"the project {config.root} is not inside the Git repository {top}") from None
    scratch = Path(tempfile.mkdtemp(prefix="kmsg-baseline-"))
    tree = scratch / "tree"
    try:
        added = _git(top, "worktree", "add", "--detach", "--quiet", str(tree), commit)
        if added.returncode != 0:
            raise KmsgError(f"git worktree add failed: {added.stderr.strip()}")
        base_config = load_config(tree / inside)
        present = set(discover(base_config.src_dir))
        wanted = [s for s in slugs if s in present] if slugs is not None else None
        if wanted is not None and not wanted:
            result = SnapshotResult(out_dir=out_dir)
            out_dir.mkdir(parents=True, exist_ok=True)
            from kmsg_authoring.review.snapshot import write_manifest

            write_manifest(out_dir, {})
            return result
        return take_snapshots(
            base_config, wanted, out_dir=out_dir, widths=widths, schemes=schemes, engines=engines, progress=progress
        )
    finally:
        if tree.exists():
            _git(top, "worktree", "remove", "--force", str(tree))
        _git(top, "worktree", "prune")
        shutil.rmtree(scratch, ignore_errors=True)


def copy_snapshot_folder(source: Path, dest: Path) -> None:
    """Copy a baseline snapshot folder beside the report, so the output folder stands alone."""
    if source.resolve() == dest.resolve():
        return
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("_diff", "_baseline", "report.html"))
