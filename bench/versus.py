"""Two revisions of kmsg-author side by side, as whole processes, on the same projects.

Each revision is checked out into a temporary worktree (`git worktree add --detach`) with its
bytecode compiled once (as after `pip install`). Then it measures what users wait for, in pairs: each
run measures both revisions back to back, and which goes first alternates, so that both see the same
machine and neither always runs second:

1. cold build of the corpus project (`build --no-cache`: each ../shared/corpus file one template,
   Jinja off, two tokens each, every default lint rule, outputs written), as the command runs by
   default;
2. warm no-op build of the same project (nothing changed);
3. one-template rebuild after an edit to that template's body, in the example project;
4. pre-commit lint of one template after an edit (`lint templates_src/<slug>`), in the example
   project.

Per figure it prints the median wall and CPU time (user + system of the process and every process it
waited for) of each revision, and the change: the median over the pairs of after / before, with a 95%
interval for that median (percentile bootstrap over the pairs, a fixed seed); then each revision's
fastest CPU time and their change (a neighbour's load only ever adds time, so the fastest of many runs
is the closest to what the code itself costs). A pair's two runs share the machine's drift of that
moment; a change whose interval straddles zero is within what this machine can tell apart. Use it on
a quiet machine.

    python bench/versus.py REV_BEFORE REV_AFTER [--runs 16] [--only cold,noop,rebuild,lint]

--runs is rounded up to an even number: each revision goes first in half of the pairs.
"""

from __future__ import annotations

import argparse
import random
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
STEPS = ("cold", "noop", "rebuild", "lint")
RESAMPLES = 4000  # bootstrap resamples of the pairs


def change(before: list[float], after: list[float]) -> tuple[float, float, float]:
    """The median of after / before over the pairs, and a 95% percentile-bootstrap interval for it, as
    fractions (0.05: 5% more)."""
    ratios = [a / b for a, b in zip(after, before, strict=True)]
    rng = random.Random(19)
    medians = sorted(med(rng.choices(ratios, k=len(ratios))) for _ in range(RESAMPLES))
    low, high = medians[int(RESAMPLES * 0.025)], medians[int(RESAMPLES * 0.975) - 1]
    return med(ratios) - 1, low - 1, high - 1


def _percent(fractions: tuple[float, float, float]) -> str:
    mid, low, high = (f * 100 for f in fractions)
    return f"{mid:+.1f}% [{low:+.1f}%, {high:+.1f}%]"


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
    parser.add_argument("--runs", type=int, default=16, help="pairs of runs of each measurement (made even)")
    parser.add_argument(
        "--only", default=",".join(STEPS), help=f"the figures to measure, comma-separated, of {', '.join(STEPS)}"
    )
    args = parser.parse_args()
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    if not only or not set(only) <= set(STEPS):
        parser.error(f"--only takes names from {', '.join(STEPS)}")
    runs = max(2, args.runs + args.runs % 2)
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

        def cold(side: str, n: int) -> Run:
            return run_process(command(side, "build", "--no-cache", "-q"), corpus[side])

        def noop(side: str, n: int) -> Run:
            return run_process(command(side, "build", "-q"), corpus[side])

        def rebuild(side: str, n: int) -> Run:
            edit(side, n)
            return run_process(command(side, "build", "-q"), examples[side])

        def lint(side: str, n: int) -> Run:
            edit(side, n)
            return run_process(command(side, "lint", f"templates_src/{EDITED}"), examples[side])

        steps: dict[str, tuple[str, Callable[[str, int], Run]]] = {
            "cold": ("cold build of the corpus (64 templates)", cold),
            "noop": ("warm no-op build of the corpus", noop),
            "rebuild": ("one-template rebuild after an edit (examples)", rebuild),
            "lint": ("pre-commit lint of one template after an edit", lint),
        }
        for side in revs:  # warm the caches and the builds the warm figures start from
            run_process(command(side, "build", "-q"), corpus[side])
            run_process(command(side, "build", "-q"), examples[side])
        try:
            print(
                f"before: {args.before}, after: {args.after}; {runs} pairs of runs, each side first in half of them; "
                "medians, and the median change over the pairs with its 95% interval"
            )
            for name in only:
                label, step = steps[name]
                got: dict[str, list[Run]] = {side: [] for side in revs}
                for n in range(runs):
                    for side in revs if n % 2 == 0 else reversed(list(revs)):
                        got[side].append(step(side, n))
                wall = {side: med([r.wall for r in got[side]]) for side in revs}
                cpu = {side: med([r.cpu for r in got[side]]) for side in revs}
                fastest = {side: min(r.cpu for r in got[side]) for side in revs}
                wall_change = change([r.wall for r in got["before"]], [r.wall for r in got["after"]])
                cpu_change = change([r.cpu for r in got["before"]], [r.cpu for r in got["after"]])
                print(
                    f"{label}: CPU {cpu['before'] * 1000:.0f} -> {cpu['after'] * 1000:.0f} ms {_percent(cpu_change)}; "
                    f"wall {wall['before'] * 1000:.0f} -> {wall['after'] * 1000:.0f} ms {_percent(wall_change)}; "
                    f"fastest CPU {fastest['before'] * 1000:.0f} -> {fastest['after'] * 1000:.0f} ms "
                    f"({(fastest['after'] / fastest['before'] - 1) * 100:+.1f}%)"
                )
        finally:
            for tree in trees.values():
                subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
    print(machine().splitlines()[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
