"""Whether two revisions of kmsg-author build the corpus project into the same bytes.

A change that only moves code must leave every output as it was. Each revision named is checked out
into a temporary worktree (`git worktree add --detach`), and the same corpus project (each file of
../shared/corpus one template, Jinja off, default lint; see bench/common.py) is built with that
revision's code by `kmsg-author build --no-cache`. Every file under build/ is then compared byte
for byte with the first revision's. It prints how many files are identical and names each that
differs or exists on one side only; the exit status is 1 when any differs.

    python bench/identical.py REV_BEFORE REV_AFTER [REV ...]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ENV, REPO, corpus_project


def _outputs(build: Path) -> dict[str, str]:
    """build/'s files, relative path -> SHA-256."""
    return {
        path.relative_to(build).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(build.rglob("*"))
        if path.is_file()
    }


def _build_with(rev: str, work: Path) -> dict[str, str]:
    """The corpus project built by revision rev's code: its build/ files hashed."""
    tree = work / f"tree-{rev.replace('/', '_')}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
    try:
        project = work / f"project-{rev.replace('/', '_')}"
        corpus_project(project)
        env = {**ENV, "PYTHONPATH": str(tree)}
        proc = subprocess.run(
            [sys.executable, "-m", "kmsg_authoring", "build", "--no-cache"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise SystemExit(f"{rev}: build failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-2000:]}")
        return _outputs(project / "build")
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revisions", nargs="+", metavar="REV", help="git revisions; each is compared with the first")
    args = parser.parse_args()
    if len(args.revisions) < 2:
        parser.error("name at least two revisions")
    with tempfile.TemporaryDirectory(prefix="kmsg-identical-") as tmp:
        work = Path(tmp)
        first, *rest = args.revisions
        base = _build_with(first, work)
        differs = False
        for rev in rest:
            other = _build_with(rev, work)
            same = [p for p in base if other.get(p) == base[p]]
            changed = sorted(p for p in base if p in other and other[p] != base[p])
            only = sorted(set(base) ^ set(other))
            print(f"{first} against {rev}: {len(same)} of {len(base)} files under build/ byte-identical")
            for path in changed:
                print(f"  differs: {path}")
            for path in only:
                print(f"  only in {first if path in base else rev}: {path}")
            differs = differs or bool(changed or only)
    return 1 if differs else 0


if __name__ == "__main__":
    raise SystemExit(main())
