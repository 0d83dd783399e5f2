"""Benchmark `kmsg-author spam`: wall time per message scored once spamd is up.

Every file of ../shared/corpus becomes a template (one recipient each) and, with --repeat, is scored
several times over, so many messages go through one spamd:

1. spamd's start-up (private configuration, children forked and answering PING), wall time.
2. Scoring all messages as `spam` does after start-up: building each message, the SPAMD round
   trip with as many messages in flight as spamd has children, and placing each hit at its source
   line; wall time divided by the number of messages (the issue's target: under 150 ms on 2 cores).
3. The same with one message at a time (one child), for comparison.

Compiling and rendering the templates happens before the clock starts.

    python bench/spam.py [--repeat 2] [--children N]
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.review import spam, spamd
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files
from tests.corpus_project import make_corpus_project


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeat", type=int, default=2, help="score every corpus message this many times")
    parser.add_argument("--children", type=int, default=os.cpu_count() or 2, help="spamd children")
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        sys.exit(f"{CORPUS} is absent")
    with tempfile.TemporaryDirectory() as tmp:
        make_corpus_project(Path(tmp), files, CORPUS)
        config = load_config(Path(tmp))
        result = spam.SpamResult(templates=[])
        jobs = list(spam._jobs(config, None, result)) * args.repeat
        print(
            f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs, "
            f"load {os.getloadavg()[0]:.1f}; {len(jobs)} messages ({len(files)} corpus emails x {args.repeat})"
        )
        if result.failures:
            print(f"  ({len(result.failures)} templates not rendered)")
        started = time.perf_counter()
        with spamd.spamd_server(children=args.children) as address:
            print(f"spamd start-up ({args.children} children): {time.perf_counter() - started:.1f} s")
            spam._score(jobs[:2], address, args.children, None)  # rule files read once, as in a run
            for workers in (args.children, 1):
                t0 = time.perf_counter()
                scored = spam._score(jobs, address, workers, None)
                wall = time.perf_counter() - t0
                print(
                    f"{workers} message(s) in flight: {len(scored)} messages in {wall:.1f} s, "
                    f"{1000 * wall / len(scored):.0f} ms wall per message"
                )


if __name__ == "__main__":
    main()
