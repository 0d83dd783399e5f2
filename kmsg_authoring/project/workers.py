"""Each template's step of a build (step.py), in this process or spread over the machine's cores.

Results come back in the templates' order, so the report and build/ are the same bytes whatever the
number of workers. A pool is started only when there is enough to compile to pay for it
(`PARALLEL_FROM` templates whose sources changed, or an explicit `jobs`): one template or a
pre-commit run stays in one process with no start-up cost.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Sequence
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import BuildError
from kmsg_authoring.project.step import BuildOptions, Step, TemplateResult, build_template

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

# Below this many templates to compile, a pool's start-up costs more than it saves (measured on
# the corpus project: bench/build.py); `jobs` set explicitly starts one from two templates on.
PARALLEL_FROM = 48
START_METHOD: str | None = None  # None: fork when this process runs no other thread, else forkserver
MAX_JOBS = 64
# Templates handed to a worker at a time: few enough that every worker stays busy to the end.
CHUNK = 4


def workers_for(to_compile: int, jobs: int | None) -> int:
    """How many processes `to_compile` templates are spread over (1: this one)."""
    if jobs is not None:
        return max(1, min(jobs, to_compile, MAX_JOBS))
    if to_compile < PARALLEL_FROM:
        return 1
    return max(1, min(available_cores(), MAX_JOBS))


def map_templates(
    step: Step, slugs: Sequence[str], progress: Callable[[str, int, int], None] | None = None
) -> list[TemplateResult]:
    """`build_template(step, slug)` for every slug, in order; on a pool of processes when one pays."""
    cache = step.cache
    to_compile = sum(1 for slug in slugs if cache is None or not cache.unchanged(slug, slug))
    size = workers_for(to_compile, step.options.jobs)
    context = _context() if size > 1 else None
    results: list[TemplateResult] = []
    if context is None:
        for i, slug in enumerate(slugs):
            if progress:
                progress(slug, i, len(slugs))
            results.append(build_template(step, slug))
        return results
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _register_reducers()
    with ProcessPoolExecutor(
        max_workers=size, mp_context=context, initializer=_start_worker, initargs=(step.config, step.options)
    ) as pool:
        try:
            for i, result in enumerate(pool.map(_run, slugs, chunksize=CHUNK)):
                if progress:
                    progress(result.slug, i, len(slugs))
                results.append(result)
        except BrokenProcessPool as exc:
            raise BuildError(
                f"a build process stopped before the build was done ({exc}); nothing was built. "
                "Run the build again, or with --jobs 1 to build in one process"
            ) from None
    return results


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _context() -> Any:
    """How workers start, or None to build in this process.

    fork is free and, from a process running no other thread, safe: the workers start with the
    compiler and the linter already imported. Forking a process that runs other threads (the preview
    server's) can copy a lock one of them holds, and spawn or forkserver run the program's main
    module again in each worker, which a script calling the library may not guard: in those cases
    the build stays in one process, unless START_METHOD names a method.
    """
    import multiprocessing

    method = START_METHOD
    if method is None:
        if "fork" not in multiprocessing.get_all_start_methods() or sys.platform != "linux":
            return None
        if threading.active_count() != 1:
            return None
        method = "fork"
    ctx = multiprocessing.get_context(method)
    if method == "forkserver":
        ctx.set_forkserver_preload(list(WARM_MODULES))
    elif method == "fork":
        warm_up()  # once here, shared by every forked worker, rather than once in each
    return ctx


# What every worker needs before its first template: imported (and the rule catalog and the Can I
# email data loaded) once in the process the workers start from.
WARM_MODULES = ("kmsg_authoring.project.workers", "kmsg_authoring.compile.compiler", "kmsg_authoring.lint.features")


def warm_up() -> None:
    """Import the compiler and the linter, load the rule catalog and the Can I email data."""
    import importlib

    for name in WARM_MODULES:
        importlib.import_module(name)
    from kmsg_authoring.lint import catalog
    from kmsg_authoring.lint.caniemail import load

    catalog()
    load()


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_proxy(mapping: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return (_proxy, (dict(mapping),))


def _register_reducers() -> None:
    """A Config's read-only mappings cross between processes as dicts, frozen again on arrival (only
    multiprocessing's pickler learns this)."""
    from multiprocessing.reduction import ForkingPickler

    ForkingPickler.register(MappingProxyType, _reduce_proxy)


# -- inside a worker -----------------------------------------------------------------------------
_STEP: Step | None = None


def _start_worker(config: Config, options: BuildOptions) -> None:
    global _STEP
    _register_reducers()  # results travel back with the same pickler
    _STEP = Step(config, options)


def _run(slug: str) -> TemplateResult:
    if _STEP is None:
        raise RuntimeError("a build worker started without its initializer")
    return build_template(_STEP, slug)
