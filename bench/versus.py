"""Two revisions of kmsg-author side by side, as whole processes, on the same projects.

Each revision is checked out into a temporary worktree (`git worktree add --detach`) with its
bytecode compiled once (as after `pip install`). Then, alternating between the two on every run so
that both see the same machine, it measures what users wait for:

1. cold build of the corpus project (`build --no-cache`: each ../shared/corpus file one template,
   Jinja off, two tokens each, every default lint rule, outputs written), as the command runs by
   default;
2. warm no-op build of the same project (nothing changed);
3. one-template rebuild after an edit to that template's body, in the example project;
4. pre-commit lint of one template after an edit (`lint templates_src/<slug>`), in the example
   project.

It prints, per figure, the median wall and CPU time (user + system of the process and every process
it waited for) of each revision and the second's change against the first. Use it on a quiet
machine: wall time on a shared one swings with the neighbours' load.

    python bench/versus.py REV_BEFORE REV_AFTER [--runs 7]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ENV, REPO, Run, corpus_project, machine, med
from bench.common import run as run_process

EDITED = "reminder"  # the example template edited before each rebuild and lint


def _checkout(rev: str, work: Path) -> Path:
    tree = work / f"tree-{len(list(work.iterdir()))}"
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "-q", str(tree), rev], check=True)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "kmsg_authoring")], env=ENV, check=True)
    return tree


def _examples(dest: Path) -> Path:
    shutil.copytree(REPO / "templates_src", dest / "templates_src")
    shutil.copy(REPO / "kmsg.toml", dest / "kmsg.toml")
    return dest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("before", metavar="REV_BEFORE")
    parser.add_argument("after", metavar="REV_AFTER")
    parser.add_argument("--runs", type=int, default=7, help="alternated runs of each measurement")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="kmsg-versus-") as tmp:
        work = Path(tmp)
        (work / "trees").mkdir()
        revs = {"before": args.before, "after": args.after}
        trees = {side: _checkout(rev, work / "trees") for side, rev in revs.items()}
        corpus = {side: work / f"corpus-{side}" for side in revs}
        examples = {side: _examples(work / f"examples-{side}") for side in revs}
        for path in corpus.values():
            corpus_project(path)

        def command(side: str, *argv: str) -> list[str]:
            return [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(trees[side])!r}); "
                    "from kmsg_authoring.cli import main; raise SystemExit(main(sys.argv[1:]))", *argv]  # fmt: skip

        def edit(side: str, n: int) -> None:
            body = examples[side] / "templates_src" / EDITED / "body.html"
            text = body.read_text(encoding="utf-8").rstrip("\n").rsplit("\n<!-- edit", 1)[0]
            body.write_text(f"{text}\n<!-- edit {n} -->\n", encoding="utf-8")

        steps: dict[str, Callable[[str, int], Run]] = {
            "cold build of the corpus (64 templates)": lambda side, n: run_process(
                command(side, "build", "--no-cache", "-q"), corpus[side]
            ),
            "warm no-op build of the corpus": lambda side, n: run_process(command(side, "build", "-q"), corpus[side]),
            "one-template rebuild after an edit (examples)": lambda side, n: (
                edit(side, n),
                run_process(command(side, "build", "-q"), examples[side]),
            )[1],
            "pre-commit lint of one template after an edit": lambda side, n: (
                edit(side, n),
                run_process(command(side, "lint", f"templates_src/{EDITED}"), examples[side]),
            )[1],
        }
        for side in revs:  # warm the caches and the builds the warm figures start from
            run_process(command(side, "build", "-q"), corpus[side])
            run_process(command(side, "build", "-q"), examples[side])
        try:
            print(f"before: {args.before}, after: {args.after}; medians of {args.runs} alternated runs")
            for label, step in steps.items():
                got: dict[str, list[Run]] = {side: [] for side in revs}
                for n in range(args.runs):
                    for side in revs if n % 2 == 0 else reversed(list(revs)):
                        got[side].append(step(side, n))
                wall = {side: med([r.wall for r in runs]) for side, runs in got.items()}
                cpu = {side: med([r.cpu for r in runs]) for side, runs in got.items()}
                print(
                    f"{label}: wall {wall['before'] * 1000:.0f} -> {wall['after'] * 1000:.0f} ms "
                    f"({(wall['after'] / wall['before'] - 1) * 100:+.1f}%), CPU {cpu['before'] * 1000:.0f} -> "
                    f"{cpu['after'] * 1000:.0f} ms ({(cpu['after'] / cpu['before'] - 1) * 100:+.1f}%)"
                )
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    print(machine().splitlines()[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
