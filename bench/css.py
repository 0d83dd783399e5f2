"""Benchmark the CSS checks (KM631-KM637): their cost per template on ../shared/corpus.

Every corpus file is compiled once as a template; then, per template, the seven CSS rules are run
on a fresh lint context (tinycss2 parse of every <style> block and style attribute, the checks
against MDN's data, locating the findings), with the stylesheet memo cleared so that each template
pays for its own parse. Printed: the median, the 90th percentile and the maximum per template, and
the time to load the data in a new process.

    python bench/css.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.compile import compile_template
from kmsg_authoring.lint import csscheck
from kmsg_authoring.lint.context import Context
from kmsg_authoring.lint.registry import catalog
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files
from tests.corpus_project import make_corpus_project

CODES = ("KM631", "KM632", "KM633", "KM634", "KM635", "KM636", "KM637")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        print("../shared/corpus is absent", file=sys.stderr)
        return 1
    rules = [catalog()[c] for c in CODES]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        slugs = make_corpus_project(root, files, CORPUS, keep_remote=True)
        config = load_config(root)
        compiled = [compile_template(config, slug) for slug in slugs]
        per_template: list[float] = []
        for _ in range(args.runs):
            for template in compiled:
                csscheck.check_stylesheet.cache_clear()
                csscheck.check_declarations.cache_clear()
                start = time.perf_counter()
                ctx = Context(template, config)
                for r in rules:
                    assert r.check is not None
                    list(r.check(ctx))
                per_template.append((time.perf_counter() - start) * 1000)
    per_template.sort()
    p90 = per_template[int(len(per_template) * 0.9)]
    load = subprocess.run(
        [
            sys.executable,
            "-c",
            "import time; t=time.perf_counter(); import tinycss2; "
            "from kmsg_authoring.lint.cssdata import load; load(); print((time.perf_counter()-t)*1000)",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(
        f"CSS checks per corpus template ({len(compiled)} templates x {args.runs} runs): "
        f"median {statistics.median(per_template):.1f} ms, p90 {p90:.1f} ms, max {per_template[-1]:.1f} ms"
    )
    print(f"importing tinycss2 and loading MDN's data in a new process: {float(load):.1f} ms")
    print(f"load average (1, 5, 15 min): {', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
