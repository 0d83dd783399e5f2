"""Benchmark `kmsg-author build` on a project made from ../shared/corpus (each file one template),
and on as many MJML templates (the suite's MJML test set, tests/mjml_project.py), side by side.

Prints, for each CSS inliner: the cold build's CPU time per template (in-process, beyond start-up:
modules imported and one warm-up template compiled before timing), templates per second, and the
wall time of a one-template rebuild after an edit, run as a user runs it (a new process, start-up
included). Then the css-inline/premailer ratio. CPU figures give the best run and the median: on a
shared virtual machine, neighbours' load inflates some runs.

    python bench/build.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import platform
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
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files
from tests.corpus_project import make_corpus_project
from tests.mjml_project import mjml_files


def make_mjml_project(root: Path, count: int) -> None:
    """count MJML templates on one MJML layout (each its own folder, name and body text)."""
    for rel, text in mjml_files().items():
        if "/news/" not in rel:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(str(text), encoding="utf-8")
    for i in range(count):
        for rel, text in mjml_files(f"mjml-{i:03d}").items():
            if f"/mjml-{i:03d}/" in rel:
                body = str(text).replace("MJML News", f"MJML News {i}").replace("starts soon", f"starts soon ({i})")
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(body, encoding="utf-8")


def mjml_stage_only(root: Path) -> float:
    """CPU milliseconds per template of the MJML stage alone (checks, MRML, marks), on the Jinja output."""
    from kmsg_authoring.compile import CompileEnv, _Compiler

    config = load_config(root)
    env = CompileEnv(config)
    sources = []
    for slug in sorted(p.name for p in config.src_dir.iterdir() if p.name.startswith("mjml-")):
        compiler = _Compiler(env, slug)
        compiler.compile()  # loads and prepares the sources; the stage is timed below on its input
        env.jinja.start_budget()
        sources.append(
            (
                compiler,
                compiler._render_body(True, {"brand": dict(config.brand), "template": {"slug": slug, "name": slug}}),
            )
        )
    start = time.process_time()
    for compiler, mjml in sources:
        compiler._mjml(mjml)
    return (time.process_time() - start) / len(sources) * 1000


def bench_mjml(count: int, runs: int, html_rate: dict[bool, float]) -> None:
    """MJML templates per second beside the corpus's HTML ones (css-inline, cold builds, files written)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mjml"
        make_mjml_project(root, count)
        build_project(load_config(root), ["mjml-000"], BuildOptions(write=False, use_cache=False))  # warm-up
        print(f"[mjml] MJML stage alone (checks, MRML, marks): {mjml_stage_only(root):.2f} ms CPU per template")
        for lint in (False, True):
            cpus, walls = [], []
            for _ in range(runs):
                cpu, wall, n = cold_build(root, lint)
                cpus.append(cpu)
                walls.append(wall)
            label = "compile+lint" if lint else "compile only"
            print(
                f"[mjml] cold build ({label}, files written): {min(cpus) / n * 1000:.2f} ms CPU per template "
                f"(best; median {statistics.median(cpus) / n * 1000:.2f}), "
                f"{n / statistics.median(walls):.0f} MJML templates/s wall ({n} templates) "
                f"beside {html_rate[lint]:.0f} HTML templates/s"
            )


def cold_build(root: Path, lint: bool) -> tuple[float, float, int]:
    """CPU seconds and wall seconds of a cold in-process build of every template; template count."""
    shutil.rmtree(root / "build", ignore_errors=True)
    config = load_config(root)
    cpu, wall = time.process_time(), time.perf_counter()
    report = build_project(
        config, None, BuildOptions(lint=lint, load_unchanged=False)
    )  # as `kmsg-author build` calls it
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if report.failures:
        raise SystemExit(f"build failed: {sorted(report.failures)[:3]}")
    return cpu, wall, len(report.compiled)


def inline_only(root: Path, engine: str) -> float:
    """CPU milliseconds per template of the CSS inliner alone, on each template's HTML after Jinja."""
    from kmsg_authoring.compile.inline import inline_css

    report = build_project(load_config(root), None, BuildOptions(write=False, use_cache=False, lint=False))
    pages = [c.rendered for c in report.compiled.values()]
    start = time.process_time()
    for page in pages:
        inline_css(page, engine)
    return (time.process_time() - start) / len(pages) * 1000


def rebuild_after_edit(root: Path, slug: str, runs: int) -> list[float]:
    """Wall seconds of `kmsg-author build` (a new process) after editing one template's body."""
    body = root / "templates_src" / slug / "body.html"
    original = body.read_text(encoding="utf-8")
    times = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # As after `pip install`: the package's bytecode is compiled once, not at every start.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "kmsg_authoring")], check=True)
    for i in range(runs):
        body.write_text(original + f"\n<!-- edit {i} -->\n", encoding="utf-8")
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "kmsg_authoring", "build", "-q"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        if proc.returncode != 0:
            raise SystemExit(f"rebuild failed: {proc.stderr}")
    body.write_text(original, encoding="utf-8")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement")
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        print(f"no corpus at {CORPUS}")
        return 2
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.platform()}"
    )
    print(f"corpus: {len(files)} templates from {CORPUS}")
    per_template: dict[str, float] = {}
    html_rate: dict[bool, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("css-inline", "premailer"):
            root = Path(tmp) / engine
            make_corpus_project(root, files, CORPUS, engine, keep_remote=True)
            # Warm-up: imports and engine set-up are start-up, not per-template work.
            build_project(
                load_config(root),
                [min(p.name for p in (root / "templates_src").iterdir())],
                BuildOptions(write=False, use_cache=False),
            )
            print(f"[{engine}] CSS inlining alone: {inline_only(root, engine):.2f} ms CPU per template")
            cpus = []
            for _ in range(args.runs if engine == "css-inline" else 1):
                start = time.process_time()
                build_project(load_config(root), None, BuildOptions(write=False, use_cache=False, lint=False))
                cpus.append(time.process_time() - start)
            print(
                f"[{engine}] compile in memory (no files written, no cache, no lint): "
                f"{min(cpus) / len(files) * 1000:.2f} ms CPU per template "
                f"(best; median {statistics.median(cpus) / len(files) * 1000:.2f})"
            )
            for lint in (False, True):
                cpus, walls = [], []
                for _ in range(args.runs if engine == "css-inline" else max(1, args.runs // 3)):
                    cpu, wall, n = cold_build(root, lint)
                    cpus.append(cpu)
                    walls.append(wall)
                cpu_ms = min(cpus) / n * 1000
                label = "compile+lint" if lint else "compile only"
                print(
                    f"[{engine}] cold build ({label}, files written): {cpu_ms:.2f} ms CPU per template "
                    f"(best; median {statistics.median(cpus) / n * 1000:.2f}), "
                    f"{n / statistics.median(walls):.0f} templates/s wall ({n} templates)"
                )
                if lint:
                    per_template[engine] = cpu_ms
                if engine == "css-inline":
                    html_rate[lint] = n / statistics.median(walls)
            slug = min(p.name for p in (root / "templates_src").iterdir())
            times = rebuild_after_edit(root, slug, args.runs)
            print(
                f"[{engine}] one-template rebuild after an edit (new process): median "
                f"{statistics.median(times) * 1000:.0f} ms wall, max {max(times) * 1000:.0f} ms"
            )
    bench_mjml(len(files), args.runs, html_rate)
    ratio = per_template["premailer"] / per_template["css-inline"]
    print(f"css-inline is {ratio:.0f}x faster than premailer per template (CPU, compile+lint)")
    print("targets: cold build < 5 ms CPU per template (css-inline); one-template rebuild < 300 ms wall")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
