"""One template's compile, sample checks and lint as a function of picklable inputs, run in this
process or spread over the machine's cores.

The build asks for outcomes by key in its own order and files them in that order, so its report and
build/ are the same bytes whatever the number of workers. A pool is started only when there is
enough work to pay for it (`PARALLEL_FROM` templates to compile, or an explicit `jobs`): one
template or a pre-commit run stays in one process with no start-up cost.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from kmsg_authoring.errors import BuildError, KmsgError, Location

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

    from kmsg_authoring.compile.compiler import CompileEnv
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.lint.problem import Problem
    from kmsg_authoring.source.config import Config

# Below this many templates to compile, a pool's start-up costs more than it saves (measured on
# the corpus project: bench/build.py); `jobs` set explicitly starts one from two templates on.
PARALLEL_FROM = 48
START_METHOD: str | None = None  # None: fork when this process runs no other thread, else forkserver
MAX_JOBS = 64


@dataclass
class Outcome:
    """What compiling (and linting) one template in one locale gave: picklable, built in a worker."""

    compiled: CompiledTemplate | None
    failure: KmsgError | None = None  # the compile error
    errors: list[KmsgError] = field(default_factory=list)  # the sample checks' errors
    reads: dict[str, str | None] = field(default_factory=dict)  # what the compile read, by hash
    problems: list[Problem] | None = None  # None: not linted
    crash: KmsgError | None = None  # a check that could not run: the build stops here


class Work:
    """Compiles and lints templates of one project in this process; one per worker process."""

    def __init__(self, config: Config, lint: bool) -> None:
        self.config = config
        # Fail closed: when the linter or the sample checks cannot run, nothing is built.
        self.lint_fn = _lint_function() if lint else None
        self.samples_fn = _samples_function()
        self._env: CompileEnv | None = None

    def run(self, slug: str, locale: str | None) -> Outcome:
        """Compile one template in one locale (None: the default), check its samples, lint it."""
        from kmsg_authoring.compile import CompileEnv, compile_template
        from kmsg_authoring.source.project import recording_reads

        config = self.config
        self._env = self._env or CompileEnv(config)
        # The cache keys the result by the bytes these reads saw, not by the files as they are later.
        with recording_reads() as reads:
            try:
                compiled = compile_template(config, slug, env=self._env, locale=locale)
            except KmsgError as exc:
                return Outcome(None, failure=exc)
            try:
                errors = list(self.samples_fn(config, compiled))
            except KmsgError as exc:
                return Outcome(compiled, reads=dict(reads), crash=exc)
        outcome = Outcome(compiled, errors=errors, reads=dict(reads))
        if self.lint_fn is not None:
            outcome.problems, outcome.crash = self.lint(compiled)
        return outcome

    def lint(self, compiled: CompiledTemplate) -> tuple[list[Problem] | None, KmsgError | None]:
        """The template's problems, or the error that kept the linter from checking it."""
        assert self.lint_fn is not None
        try:
            return list(self.lint_fn(compiled, self.config)), None
        except KmsgError as exc:
            return None, exc
        except Exception as exc:  # noqa: BLE001 - a check that crashed did not pass
            return None, BuildError(
                f"the linter could not check this template ({type(exc).__name__}: {exc}); nothing was built",
                Location(compiled.meta.path),
            )


class Runner:
    """Outcomes by key: compiled ahead on a pool when there is enough work, else here on demand.

    At most `WINDOW` compiles per worker are under way or waiting to be filed, so memory does not
    grow with the project, and a compile asked for out of turn never waits behind the whole queue.
    """

    WINDOW = 4

    def __init__(self, config: Config, lint: bool, jobs: int | None) -> None:
        self._work: Work | None = None
        self.config = config
        self.lint = lint
        self.jobs = jobs
        self._pool: ProcessPoolExecutor | None = None
        self._size = 1
        self._planned: deque[tuple[str, str, str | None]] = deque()
        self._ahead: dict[str, Future[Outcome]] = {}

    @property
    def work(self) -> Work:
        """This process's compiler and linter, set up when first needed: a build with nothing to
        compile loads neither (it still fails closed: nothing is written before they run)."""
        if self._work is None:
            self._work = Work(self.config, self.lint)
        return self._work

    def workers(self, count: int) -> int:
        """How many processes `count` templates to compile are spread over (1: this one)."""
        if self.jobs is not None:
            return max(1, min(self.jobs, count, MAX_JOBS))
        if count < PARALLEL_FROM:
            return 1
        return max(1, min(available_cores(), MAX_JOBS))

    def plan(self, tasks: Sequence[tuple[str, str, str | None]], *, first: bool = False) -> None:
        """(key, slug, locale) compiles the build will ask for, in its order (`first`: next)."""
        if not tasks:
            return
        if self._pool is None:
            n = self.workers(len(tasks))
            if n <= 1:
                return  # computed here, when asked for
            self.work  # noqa: B018 - fail closed first: the linter and sample checks must load
            context = _context()
            if context is None:
                return
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing.reduction import ForkingPickler

            # A Config's read-only mappings cross into workers started by spawn or forkserver as
            # dicts, frozen again on arrival (only multiprocessing's pickler learns this).
            ForkingPickler.register(MappingProxyType, _reduce_proxy)
            self._size = n
            self._pool = ProcessPoolExecutor(
                max_workers=n, mp_context=context, initializer=_start_worker, initargs=(self.config, self.lint)
            )
        if first:
            for key, slug, locale in tasks:
                self._ahead[key] = self._pool.submit(_run, slug, locale)
        else:
            self._planned.extend(tasks)
        self._fill()

    def _fill(self) -> None:
        while self._pool is not None and self._planned and len(self._ahead) < self.WINDOW * self._size:
            key, slug, locale = self._planned.popleft()
            self._ahead[key] = self._pool.submit(_run, slug, locale)

    def outcome(self, key: str, slug: str, locale: str | None) -> Outcome:
        """The outcome of one compile: the pool's when it was planned there, else computed now."""
        future = self._ahead.pop(key, None)
        if future is None:
            # Asked for before its turn came on the pool: computed here, and not again there.
            self._planned = deque(task for task in self._planned if task[0] != key)
            return self.work.run(slug, locale)
        self._fill()
        from concurrent.futures.process import BrokenProcessPool

        try:
            return future.result()
        except BrokenProcessPool as exc:
            raise BuildError(
                f"a build process stopped before compiling '{slug}' ({exc}); nothing was built. "
                "Run the build again, or with --jobs 1 to build in one process"
            ) from None

    def close(self) -> None:
        """Stop the pool (compiles started ahead and never asked for are cancelled)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._ahead.clear()
        self._planned.clear()


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


# -- inside a worker -----------------------------------------------------------------------------
_WORK: Work | None = None


def _proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _reduce_proxy(mapping: MappingProxyType[Any, Any]) -> tuple[Any, ...]:
    return (_proxy, (dict(mapping),))


def _start_worker(config: Config, lint: bool) -> None:
    global _WORK
    _WORK = Work(config, lint)


def _run(slug: str, locale: str | None) -> Outcome:
    assert _WORK is not None, "worker started without its initializer"
    return _WORK.run(slug, locale)


# -- what the build needs to run at all ----------------------------------------------------------
def _lint_function() -> Callable[[CompiledTemplate, Config], Iterable[Problem]]:
    try:
        from kmsg_authoring.lint import lint_template
    except ImportError as exc:
        raise BuildError(f"the linter cannot run ({exc}); nothing was built. Reinstall kmsg-author") from None
    return lint_template


def _samples_function() -> Callable[[Config, CompiledTemplate], Sequence[KmsgError]]:
    try:
        from kmsg_authoring.render.samples import check_samples
    except ImportError as exc:
        raise BuildError(f"the sample checks cannot run ({exc}); nothing was built. Reinstall kmsg-author") from None
    return check_samples
