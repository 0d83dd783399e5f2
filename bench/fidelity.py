"""Render fidelity figures: the corpus and the examples, as written against as compiled, in each engine.

Builds every file of ../shared/corpus (as tests/compile/test_fidelity.py does) and the project's own
templates_src/, renders the body before and after inlining in Chromium, WebKit and Firefox at 600
and 375 px, light and dark, and prints per engine how many emails are pixel-identical in every
shot, then each email that differs with what differs and the KM601 findings it carries.

    python bench/fidelity.py [--engines chromium,webkit,firefox] [--inliner css-inline]
                             [--no-preserve-cascade] [--only SLUG,...]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.review.browser import ENGINES
from tests.compile.fidelity import differences
from tests.compile.fidelity_sets import corpus_pairs, example_pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--inliner", default="css-inline")
    parser.add_argument("--no-preserve-cascade", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated slugs")
    args = parser.parse_args()
    engines = [e for e in args.engines.split(",") if e]
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        pairs, findings = corpus_pairs(Path(tmp) / "corpus", args.inliner, not args.no_preserve_cascade)
        ex_pairs, ex_findings = example_pairs(Path(tmp) / "examples", args.inliner, not args.no_preserve_cascade)
        pairs.update(ex_pairs)
        findings.update(ex_findings)
        if args.only:
            keep = set(args.only.split(","))
            pairs = {k: v for k, v in pairs.items() if k in keep}
        built = time.monotonic() - started
        done = [0]

        def progress(key: str) -> None:
            done[0] += 1
            if done[0] % 100 == 0:
                print(f"{done[0]} shots ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)

        diffs = differences(pairs, engines, progress=progress)
        rendered = time.monotonic() - started - built
    print(f"{len(pairs)} emails; built in {built:.0f} s, rendered in {rendered:.0f} s ({', '.join(engines)})")
    for engine in engines:
        found = diffs[engine]
        print(
            f"\n{engine}: {len(pairs) - len(found)} of {len(pairs)} pixel-identical at 600 and 375 px, light and dark"
        )
        for slug, what in sorted(found.items()):
            print(f"  {slug}: {'; '.join(what)}")
            for finding in findings.get(slug, []):
                print(f"    {finding}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
