"""What proving build/ current costs, measured in one process where whole-process timings cannot tell.

A build skips a template only when build/ hashes to what the template's last build wrote
(`project.outputs.proven`), and records those hashes when it writes (`Outputs.digest`). Before, a
build took an output file's presence as proof. This measures both ways on the corpus project (each
../shared/corpus file one template; 193 output files), in this process, many times over, and prints
the fastest run of each (a neighbour's load only ever adds time):

1. a warm no-op build: every template's outputs proven by their hashes, against the same templates
   checked for the presence of their files, and the whole no-op build (`Builder.run`) for scale;
2. a cold build's writing: the outputs of every template made and hashed (`outputs_of(...).digest()`),
   against made only, and the whole cold build in one process (`--jobs 1`) for scale.

    python bench/proving.py [--repeat 30]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import corpus_project, machine
from kmsg_authoring.project.build import CHECK_ONLY, BuildOptions, Builder
from kmsg_authoring.project.outputs import contract_rel, outputs_of, proven
from kmsg_authoring.project.step import Step
from kmsg_authoring.source.config import load_config


def fastest(repeat: int, work: Callable[[], object]) -> float:
    """The fastest of repeat runs of work, in CPU seconds of this process."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        work()
        best = min(best, time.process_time() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=30, help="runs of each measurement; the fastest is kept")
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory(prefix="kmsg-proving-") as tmp:
        root = Path(tmp) / "corpus"
        slugs = corpus_project(root)
        config = load_config(root)
        Builder(config, BuildOptions(jobs=1)).run()  # build/ and the cache a warm build starts from
        step = Step(config, BuildOptions(load_unchanged=False))
        if step.cache is None:
            raise SystemExit("no build cache")
        recorded = {slug: step.cache.outputs(slug) for slug in slugs}

        def by_hashes() -> None:
            for slug in slugs:
                if proven(config, step.written, recorded[slug], slug) is None:
                    raise SystemExit(f"{slug}: outputs not proven")

        def by_presence() -> None:
            for slug in slugs:
                files = (f"{slug}.json", f"{slug}.html", contract_rel(slug))
                if slug not in step.manifest or not all((config.build_dir / rel).is_file() for rel in files):
                    raise SystemExit(f"{slug}: outputs missing")

        hashes = fastest(args.repeat, by_hashes)
        presence = fastest(args.repeat, by_presence)
        noop = fastest(args.repeat, lambda: Builder(config, BuildOptions(load_unchanged=False, jobs=1)).run())
        files = sum(len(recorded[slug]["files"]) for slug in slugs)
        print(f"warm no-op build of {len(slugs)} templates ({files} output files), fastest of {args.repeat}:")
        print(f"  outputs proven by their hashes: {hashes * 1000:.2f} ms")
        print(f"  outputs taken from their presence: {presence * 1000:.2f} ms")
        print(f"  proving costs {(hashes - presence) * 1000:.2f} ms more, {(hashes - presence) / noop * 100:.1f}% "
              f"of the whole no-op build ({noop * 1000:.1f} ms in process, start-up not counted)")  # fmt: skip

        compiled = Builder(config, CHECK_ONLY).run().compiled

        def made_and_hashed() -> None:
            for key, c in compiled.items():
                outputs_of(c, key, owns_contract=True).digest()

        def made() -> None:
            for key, c in compiled.items():
                outputs_of(c, key, owns_contract=True)

        hashed = fastest(args.repeat, made_and_hashed)
        plain = fastest(args.repeat, made)
        cold = fastest(3, lambda: Builder(config, BuildOptions(use_cache=False, jobs=1)).run())
        print(f"cold build's outputs of {len(compiled)} templates, in process, fastest of {args.repeat}:")
        print(f"  made and hashed: {hashed * 1000:.2f} ms")
        print(f"  made only: {plain * 1000:.2f} ms")
        print(f"  hashing costs {(hashed - plain) * 1000:.2f} ms more, {(hashed - plain) / cold * 100:.2f}% "
              f"of the whole cold build ({cold * 1000:.0f} ms in one process, fastest of 3)")  # fmt: skip
    print(machine().splitlines()[1])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
