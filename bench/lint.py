"""Benchmark `kmsg-author lint`.

1. One template linted the way a pre-commit hook runs it: a new process
   `python -m kmsg_authoring lint templates_src/<slug>` in a copy of the example project, after an
   edit to that template (so it is recompiled), wall time with start-up included; median of runs.
   Also the start-up share: a bare `python -c pass` and the import time of the lint path.
2. Every file of ../shared/corpus as a template: templates per second for compile + lint
   (in-process, no cache), and for the lint rules alone on already compiled templates.
3. The client-support rules (Can I email data, KM611-KM615): loading the data in a new process,
   and their cost per template on the corpus (feature scan plus the five rules, data loaded).

    python bench/lint.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.compile.types import CompiledTemplate
from kmsg_authoring.lint import lint_template
from kmsg_authoring.project.lint import lint_project
from kmsg_authoring.source.config import Config, load_config
from tests.conftest import CORPUS, EXAMPLES, corpus_files
from tests.corpus_project import make_corpus_project

ENV = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
# An installed package has its bytecode compiled; a checkout run with PYTHONDONTWRITEBYTECODE=1
# compiles every module from source at each start. Bytecode goes to a temporary prefix, not the tree.
PYCACHE = tempfile.mkdtemp(prefix="kmsg-pycache-")
CACHED_ENV = {**{k: v for k, v in ENV.items() if k != "PYTHONDONTWRITEBYTECODE"}, "PYTHONPYCACHEPREFIX": PYCACHE}
UNCACHED_ENV = {**ENV, "PYTHONDONTWRITEBYTECODE": "1"}


CPU: list[float] = []  # CPU seconds (user + system) of each command `wall` ran, in order


def wall(cmd: list[str], cwd: Path, env: dict[str, str] = CACHED_ENV) -> float:
    """Wall seconds of a command run to completion (its CPU seconds go to CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return elapsed


def hook_runs(root: Path, slug: str, runs: int, env: dict[str, str]) -> list[float]:
    """Wall seconds of `python -m kmsg_authoring lint templates_src/<slug>` after editing the body."""
    body = root / "templates_src" / slug / "body.html"
    original = body.read_text(encoding="utf-8")
    cmd = [sys.executable, "-m", "kmsg_authoring", "lint", f"templates_src/{slug}"]
    wall(cmd, root, env)  # warm the OS file cache (and write bytecode when allowed) once
    times = []
    for i in range(runs):
        body.write_text(original + f"\n<!-- edit {i} -->\n", encoding="utf-8")
        times.append(wall(cmd, root, env))
    body.write_text(original, encoding="utf-8")
    return times


def import_profile(root: Path, slug: str) -> tuple[float, list[tuple[float, str]]]:
    """Total import milliseconds of a lint run and the heaviest top-level packages."""
    cmd = [sys.executable, "-X", "importtime", "-m", "kmsg_authoring", "lint", f"templates_src/{slug}"]
    proc = subprocess.run(cmd, cwd=root, env=CACHED_ENV, capture_output=True, text=True, check=False)
    total = 0.0
    tops: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if not m:
            continue
        cumulative, depth, name = int(m.group(1)) / 1000, len(m.group(2)), m.group(3)
        if depth == 1:
            total += cumulative
            root_pkg = name.split(".")[0]
            tops[root_pkg] = tops.get(root_pkg, 0.0) + cumulative
    return total, sorted(((ms, name) for name, ms in tops.items()), reverse=True)[:6]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "examples"
        shutil.copytree(EXAMPLES, root / "templates_src")
        shutil.copy(REPO / "kmsg.toml", root / "kmsg.toml")
        slug = "event-invitation"
        bare = statistics.median(wall([sys.executable, "-c", "pass"], root) for _ in range(5))
        CPU.clear()
        times = hook_runs(root, slug, args.runs, CACHED_ENV)
        hook_cpu = statistics.median(CPU[1:])  # the first run only warms the file cache
        uncached = hook_runs(root, slug, args.runs, UNCACHED_ENV)
        total, tops = import_profile(root, slug)
        print(f"\n1. pre-commit style: `python -m kmsg_authoring lint templates_src/{slug}` in a new process")
        print(
            f"   wall, {args.runs} runs after an edit: median {statistics.median(times) * 1000:.0f} ms, "
            f"min {min(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, "
            f"median {hook_cpu * 1000:.0f} ms CPU (target < 100 ms median wall)"
        )
        print(
            f"   without bytecode (PYTHONDONTWRITEBYTECODE=1, every module compiled at start-up): "
            f"median {statistics.median(uncached) * 1000:.0f} ms"
        )
        print(f"   of which interpreter start-up (`python -c pass`): {bare * 1000:.0f} ms; imports: {total:.0f} ms")
        print("   heaviest imports: " + ", ".join(f"{name} {ms:.0f} ms" for ms, name in tops))

    files = corpus_files()
    if not files:
        print(f"\n2. corpus: skipped, {CORPUS} is absent")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        slugs = make_corpus_project(root, files, CORPUS, keep_remote=True)
        config = load_config(root)
        lint_project(config, slugs[:1], use_cache=False)  # warm-up: imports, rule catalog
        start = time.perf_counter()
        report = lint_project(config, slugs, use_cache=False)
        elapsed = time.perf_counter() - start
        compiled = build_project(config, slugs, BuildOptions(write=False, use_cache=False, lint=False)).compiled
        start = time.perf_counter()
        for c in compiled.values():
            lint_template(c, config)
        rules_only = time.perf_counter() - start
        print(
            f"\n2. corpus: {len(slugs)} real-world emails as templates "
            f"({report.errors} errors, {report.warnings} warnings)"
        )
        print(f"   compile + lint: {elapsed:.2f} s, {len(slugs) / elapsed:.0f} templates/s (target > 50/s)")
        print(
            f"   lint rules alone: {rules_only:.2f} s, {len(compiled) / rules_only:.0f} templates/s, "
            f"{rules_only / len(compiled) * 1000:.1f} ms a template"
        )
        client_rules(config, list(compiled.values()))
    return 0


def data_loading(runs: int = 7) -> tuple[float, float]:
    """Median milliseconds, in a new process, to import the loader and to load and index the data."""
    code = (
        "import time; t = time.perf_counter(); from kmsg_authoring.lint.caniemail import load; "
        "a = time.perf_counter(); load(); b = time.perf_counter(); print(a - t, b - a)"
    )
    imports, loads = [], []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", code], env=CACHED_ENV, capture_output=True, text=True, check=True
        ).stdout.split()
        imports.append(float(out[0]) * 1000)
        loads.append(float(out[1]) * 1000)
    return statistics.median(imports), statistics.median(loads)


def client_rules(config: Config, compiled: list[CompiledTemplate]) -> None:
    """Per-template cost of the client-support rules on compiled templates (data already loaded)."""
    from kmsg_authoring.lint.context import Context
    from kmsg_authoring.lint.registry import catalog
    from kmsg_authoring.lint.settings import resolve

    imported, loaded = data_loading()
    rules = [r for code, r in catalog().items() if code.startswith("KM61") and r.check is not None]
    costs = []
    for c in compiled:
        settings = resolve(config.lint)
        ctx = Context(c, config)
        start = time.perf_counter()
        for r in rules:
            ctx.options = settings[r.code].options
            list(r.check(ctx))  # type: ignore[misc]
        costs.append((time.perf_counter() - start) * 1000)
    costs.sort()
    print("\n3. client-support rules (KM611-KM615, Can I email data)")
    print(f"   data in a new process: import {imported:.1f} ms, load and index {loaded:.1f} ms (median)")
    print(
        f"   per template over {len(costs)} corpus templates: median {statistics.median(costs):.2f} ms, "
        f"90th percentile {costs[int(len(costs) * 0.9)]:.2f} ms, max {costs[-1]:.2f} ms"
    )


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    finally:
        shutil.rmtree(PYCACHE, ignore_errors=True)
