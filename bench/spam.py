"""Benchmark `kmsg-author spam`: wall time per message scored once spamd is up.

Every file of ../shared/corpus becomes a template (one recipient each) and, with --repeat, is scored
several times over, so many messages go through one spamd:

1. spamd's start-up (private configuration, children forked and answering PING), wall time.
2. Scoring all messages as `spam` does after start-up: building each message, the SPAMD round
   trip with as many messages in flight as spamd has children, and placing each hit at its source
   line; wall time divided by the number of messages (the issue's target: under 150 ms on 2 cores).
3. The same with one message at a time (one child), for comparison.
4. CPU seconds per message: spamd's (its processes' user + system time, from /proc) and this
   process's (building messages, placing hits). On a loaded machine the wall times above measure
   the load; on an idle machine with N cores, wall per message is about spamd's CPU / N plus ours.

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


def _cpu(pid: str) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _spamd_cpu(port: int) -> float:
    """User + system CPU seconds of the spamd listening on port and its children (Linux /proc).

    The children rename themselves ("spamd child"), so they are found as the parent's children."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if f"127.0.0.1:{port}" not in cmd or "spamd" not in cmd:
                continue
            children = Path(f"/proc/{proc.name}/task/{proc.name}/children").read_text().split()
            total += _cpu(proc.name) + sum(_cpu(c) for c in children)
        except OSError:
            continue
    return total


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
                cpu0, ours0 = _spamd_cpu(address[1]), time.process_time()
                t0 = time.perf_counter()
                scored = spam._score(jobs, address, workers, None)
                wall = time.perf_counter() - t0
                cpu, ours = _spamd_cpu(address[1]) - cpu0, time.process_time() - ours0
                n = len(scored)
                print(
                    f"{workers} message(s) in flight: {n} messages in {wall:.1f} s, {1000 * wall / n:.0f} ms wall "
                    f"per message; CPU per message: spamd {1000 * cpu / n:.0f} ms, kmsg-author {1000 * ours / n:.0f} ms"
                )


if __name__ == "__main__":
    main()
