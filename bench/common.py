"""What the benchmarks share: the machine, whole-process measurements (wall, CPU of the process and
every process it waited for, peak memory of the process tree), medians, and the corpus projects."""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

# As after `pip install`: bytecode compiled once (to a prefix outside the tree), not at every start.
PYCACHE = Path(os.environ.get("KMSG_BENCH_PYCACHE", "/tmp/kmsg-bench-pycache"))
ENV = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "PYTHONPATH": str(REPO),
    "NO_COLOR": "1",
    "PYTHONPYCACHEPREFIX": str(PYCACHE),
}


def machine() -> str:
    """nproc, uname -a, the Python version and the load average: what a figure depends on."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"machine: {os.cpu_count()} CPUs (nproc), {' '.join(platform.uname())}, Python {platform.python_version()}\n"
        f"load average: {load} (1, 5, 15 min)"
    )


@dataclass
class Run:
    """One process run to completion."""

    wall: float  # seconds
    cpu: float  # user + system seconds of the process and every process it waited for
    peak: int  # bytes: the largest sum of memory (PSS) over the process and its descendants
    code: int
    out: str


def _memory(pid: int) -> int:
    """A process's proportional set size in bytes: its own pages, plus its share of pages it shares
    (forked workers share most of theirs with the build process; resident size would count those
    once per process). Resident size where the kernel gives no PSS."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _tree_rss(pid: int) -> int:
    """Memory of a process and its descendants (0 when it is gone), see _memory."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += _memory(p)
            with open(f"/proc/{p}/task/{p}/children") as fh:
                todo.extend(int(c) for c in fh.read().split())
        except (OSError, ValueError):
            continue
    return total


def run(cmd: Sequence[str], cwd: Path, *, sample_memory: bool = False, check: bool = True) -> Run:
    """Run a command; its wall time, CPU time (children's rusage) and, when asked, peak tree memory."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(list(cmd), cwd=cwd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            stop.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True) if sample_memory and sys.platform == "linux" else None
    if sampler:
        sampler.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    if sampler:
        stop.set()
        sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if check and proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{out[-2000:]}")
    return Run(wall, cpu, peak[0], proc.returncode, out)


def kmsg(*args: str) -> list[str]:
    """The command line of kmsg-author from this checkout."""
    return [sys.executable, "-m", "kmsg_authoring", *args]


def compile_bytecode() -> None:
    """Compile the package's bytecode once, as an installed package has it."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "kmsg_authoring")], env=ENV, check=True)


def med(values: Sequence[float]) -> float:
    return statistics.median(values)


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def supports(option: str, *command: str) -> bool:
    """Whether this checkout's command knows an option (benchmarks run on older checkouts too)."""
    proc = subprocess.run(kmsg(*command, "--help"), env=ENV, capture_output=True, text=True, check=False)
    return option in proc.stdout


def corpus_project(dest: Path, copies: int = 1) -> list[str]:
    """The corpus project (each ../shared/corpus file one template, Jinja off, default lint); with
    copies > 1, every template again under new names (copy 2 of `x` is `x-c02`)."""
    from tests.conftest import CORPUS, corpus_files
    from tests.corpus_project import make_corpus_project

    files = corpus_files()
    if not files:
        raise SystemExit(f"no corpus at {CORPUS}")
    slugs = make_corpus_project(dest, files, CORPUS)
    src = dest / "templates_src"
    for i in range(2, copies + 1):
        for slug in list(slugs[: len(files)]):
            new = f"{slug}-c{i:02d}"
            shutil.copytree(src / slug, src / new)
            meta = src / new / "template.yaml"
            meta.write_text(meta.read_text(encoding="utf-8").replace(f"name: {slug}\n", f"name: {new}\n"))
            slugs.append(new)
    return slugs
