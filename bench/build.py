"""Benchmark `kmsg-author build` on the corpus project (each file of ../shared/corpus one template,
Jinja off, two tokens each, every default lint rule) and on as many MJML templates.

Whole processes, as users run them (bytecode compiled once, as after `pip install`); CPU is user +
system time of the process and every process it waited for (build workers included), so it stays
meaningful on a shared machine where wall time does not. Medians of --runs, runs alternated where
two things are compared.

1. Cold build (`build --no-cache`), one process (`--jobs 1`) and the default: wall and CPU.
   CPU per template beyond start-up: (cold build CPU - CPU of building one template) / (n - 1).
2. Warm no-op build (`build` with nothing changed), one-template rebuild after an edit.
3. In-process figures: CSS inlining alone, compile in memory, cold builds with and without lint.
4. MJML: the MJML stage per template, with MRML's own time apart.
5. 1,000 templates (the corpus copied 16 times under new names): cold build wall, CPU, peak memory
   of the process tree, on every core (--big-runs; --no-big skips it).

    python bench/build.py [--runs 5] [--big-runs 3] [--no-big]
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import statistics
import sys
import tempfile
import time
from typing import Any
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, compile_bytecode, corpus_project, kmsg, machine, med, ms, run, supports
from kmsg_authoring.project.build import build_project
from kmsg_authoring.source.config import load_config
from tests.conftest import CORPUS, corpus_files
from tests.mjml_project import mjml_files

# In-process figures are of this process alone (checkouts without `jobs` build in one process anyway).
ONE: dict[str, int] = {"jobs": 1}


def build(config: Any, slugs: Any = None, **options: Any) -> Any:
    """build_project with these options, whichever way the code being measured takes them (an options
    object, or keywords in checkouts before it), so the same benchmark runs on both sides of a change."""
    params = inspect.signature(build_project).parameters
    if "options" in params:
        from kmsg_authoring.project.build import BuildOptions

        known = BuildOptions.__dataclass_fields__
        return build_project(config, slugs, BuildOptions(**{k: v for k, v in options.items() if k in known}))
    return build_project(config, slugs, **{k: v for k, v in options.items() if k in params})


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


def mjml_stage_only(root: Path) -> tuple[float, float]:
    """CPU milliseconds per template of the MJML stage alone (checks, MRML, marks), on the Jinja
    output, and of MRML's own conversion within it."""
    import mjml

    from kmsg_authoring.compile.compiler import CompileEnv, _Compiler

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
        )  # fmt: skip
    real = mjml.mjml2html
    in_mrml = [0.0]

    def timed(*args: object, **kwargs: object) -> object:
        t = time.process_time()
        try:
            return real(*args, **kwargs)
        finally:
            in_mrml[0] += time.process_time() - t

    mjml.mjml2html = timed
    try:
        start = time.process_time()
        for compiler, text in sources:
            compiler._mjml(text)
        stage = time.process_time() - start
    finally:
        mjml.mjml2html = real
    return stage / len(sources) * 1000, in_mrml[0] / len(sources) * 1000


def bench_mjml(count: int, runs: int, html_rate: dict[bool, float]) -> None:
    """MJML templates per second beside the corpus's HTML ones (css-inline, cold builds, files written)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mjml"
        make_mjml_project(root, count)
        build(load_config(root), ["mjml-000"], write=False, use_cache=False)  # warm-up
        stage, mrml = mjml_stage_only(root)
        print(
            f"[mjml] MJML stage alone (checks, MRML, marks): {stage:.2f} ms CPU per template, of which MRML "
            f"{mrml:.2f} ms; beyond MRML {stage - mrml:.2f} ms (target < 3 ms)"
        )
        for lint in (False, True):
            cpus, walls, n = cold_builds(root, lint, runs)
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
    report = build(config, lint=lint, load_unchanged=False, **ONE)  # as `kmsg-author build` calls it
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if report.failures:
        raise SystemExit(f"build failed: {sorted(report.failures)[:3]}")
    return cpu, wall, len(report.compiled)


def cold_builds(root: Path, lint: bool, runs: int) -> tuple[list[float], list[float], int]:
    """CPU and wall seconds of `runs` cold in-process builds, and the template count."""
    cpus, walls, n = [], [], 0
    for _ in range(runs):
        cpu, wall, n = cold_build(root, lint)
        cpus.append(cpu)
        walls.append(wall)
    return cpus, walls, n


def inline_only(root: Path, engine: str) -> float:
    """CPU milliseconds per template of the CSS inliner alone, on each template's HTML after Jinja."""
    from kmsg_authoring.compile.inline import inline_css

    report = build(load_config(root), write=False, use_cache=False, lint=False, **ONE)
    pages = [c.rendered for c in report.compiled.values()]
    start = time.process_time()
    for page in pages:
        inline_css(page, engine)
    return (time.process_time() - start) / len(pages) * 1000


def rebuild_after_edit(root: Path, slug: str, runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of `kmsg-author build` (a new process) after editing one template's body."""
    body = root / "templates_src" / slug / "body.html"
    original = body.read_text(encoding="utf-8")
    times, cpus = [], []
    for i in range(runs):
        body.write_text(original + f"\n<!-- edit {i} -->\n", encoding="utf-8")
        r = run(kmsg("build", "-q"), root)
        if r.code != 0:
            raise SystemExit(f"rebuild failed: {r.out}")
        times.append(r.wall)
        cpus.append(r.cpu)
    body.write_text(original, encoding="utf-8")
    return times, cpus


def processes(root: Path, n: int, runs: int) -> None:
    """Sections 1 and 2: cold, warm no-op and one-template builds as new processes."""
    jobs = supports("--jobs", "build")
    one_slug = min(p.name for p in (root / "templates_src").iterdir())
    variants = [("default", [])] + ([("--jobs 1", ["--jobs", "1"])] if jobs else [])
    cold: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in variants}
    single: list[tuple[float, float]] = []
    for _ in range(runs):  # alternated
        for label, extra in variants:
            shutil.rmtree(root / "build", ignore_errors=True)
            r = run(kmsg("build", "--no-cache", "-q", *extra), root)
            cold[label].append((r.wall, r.cpu))
        shutil.rmtree(root / "build", ignore_errors=True)
        r = run(kmsg("build", "--no-cache", "-q", one_slug), root)
        single.append((r.wall, r.cpu))
    one_cpu = med([c for _, c in single])
    print(f"\n1. cold build of {n} templates, new process (`build --no-cache`), medians of {runs}")
    print(f"   one template (start-up + 1): {ms(med([w for w, _ in single]))} wall, {ms(one_cpu)} CPU")
    for label, values in cold.items():
        cpu = med([c for _, c in values])
        print(
            f"   {label:<9} {med([w for w, _ in values]):.2f} s wall, {cpu:.2f} s CPU; "
            f"CPU per template beyond start-up {(cpu - one_cpu) / (n - 1) * 1000:.2f} ms (target < 4 ms)"
        )
    run(kmsg("build", "-q"), root)
    noop = [run(kmsg("build", "-q"), root) for _ in range(runs)]
    print("\n2. warm and incremental builds, new process")
    print(
        f"   warm no-op build (nothing changed): median {ms(med([r.wall for r in noop]))} wall, "
        f"{ms(med([r.cpu for r in noop]))} CPU (target < 150 ms wall)"
    )
    times, cpus = rebuild_after_edit(root, one_slug, runs)
    print(
        f"   one-template rebuild after an edit: median {ms(med(times))} wall, max {ms(max(times))}, "
        f"{ms(med(cpus))} CPU (target < 150 ms wall)"
    )


def in_process(root: Path, runs: int) -> dict[bool, float]:
    """Section 3: in-process figures (modules imported and one template built before timing)."""
    n = len(list((root / "templates_src").iterdir()))
    build(load_config(root), [min(p.name for p in (root / "templates_src").iterdir())], write=False, use_cache=False)
    print("\n3. in process (imports and one warm-up template before timing; later runs find the scanner's")
    print("   per-process memory warm, so 'best' is a warm figure and the first run a cold one)")
    print(f"   CSS inlining alone (css-inline): {inline_only(root, 'css-inline'):.2f} ms CPU per template")
    cpus = []
    for _ in range(runs):
        start = time.process_time()
        build(load_config(root), write=False, use_cache=False, lint=False, **ONE)
        cpus.append(time.process_time() - start)
    print(f"   compile in memory (no files, no cache, no lint): {min(cpus) / n * 1000:.2f} ms CPU per template (best)")
    rate: dict[bool, float] = {}
    for lint in (False, True):
        cpus, walls, n = cold_builds(root, lint, runs)
        label = "compile+lint" if lint else "compile only"
        print(
            f"   cold build ({label}, files written, one process): first {cpus[0] / n * 1000:.2f} ms CPU per "
            f"template, best {min(cpus) / n * 1000:.2f}, median {statistics.median(cpus) / n * 1000:.2f}"
        )
        rate[lint] = n / statistics.median(walls)
    return rate


def big_project(runs: int) -> None:
    """Section 5: the corpus copied 16 times, cold build on every core."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "big"
        slugs = corpus_project(root, copies=16)
        results = []
        for _ in range(runs):
            shutil.rmtree(root / "build", ignore_errors=True)
            results.append(run(kmsg("build", "--no-cache", "-q"), root, sample_memory=True))
        wall, cpu = med([r.wall for r in results]), med([r.cpu for r in results])
        peak = max(r.peak for r in results)
        print(f"\n5. {len(slugs)} templates (the corpus 16 times), cold build, new process, {os.cpu_count()} CPUs")
        print(
            f"   median {wall:.2f} s wall, {cpu:.2f} s CPU, wall/CPU {wall / cpu:.2f} "
            f"(targets: wall <= 0.6 x CPU, < 8 s); peak memory of the process tree {results[0].peak / 2**20:.0f} MB "
            f"(max over runs {peak / 2**20:.0f} MB; target < 300 MB)"
        )
        print("   runs: " + "; ".join(f"{r.wall:.2f} s wall / {r.cpu:.2f} s CPU" for r in results))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5, help="repetitions of each measurement")
    parser.add_argument("--big-runs", type=int, default=3, help="repetitions of the 1,000-template build")
    parser.add_argument("--no-big", action="store_true", help="skip the 1,000-template project")
    parser.add_argument("--no-mjml", action="store_true", help="skip the MJML templates")
    args = parser.parse_args()
    files = corpus_files()
    if not files:
        print(f"no corpus at {CORPUS}")
        return 2
    print(machine())
    print(f"checkout: {REPO}")
    compile_bytecode()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "corpus"
        corpus_project(root)
        processes(root, len(files), args.runs)
        rate = in_process(root, args.runs)
    if not args.no_mjml:
        print("\n4. MJML")
        bench_mjml(len(files), args.runs, rate)
    if not args.no_big:
        big_project(args.big_runs)
    print(f"\nload average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
