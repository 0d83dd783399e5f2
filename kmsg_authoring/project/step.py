"""One template's step of a build: compile (or prove unchanged), check and lint one template folder.

`BuildOptions` is how a build runs; `Step` is what every template's step reads (open one per process);
`build_template(step, slug)` returns a `TemplateResult` and changes nothing outside itself, so a
build can map it over a pool of processes (workers.py) and file the results in its own order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kmsg_authoring.compile.types import CompiledTemplate
from kmsg_authoring.errors import BuildError, KmsgError, Location
from kmsg_authoring.lint.problem import Problem
from kmsg_authoring.project.cache import Cache, settings_key
from kmsg_authoring.project.outputs import proven, read_manifest
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.project import recording_reads

if TYPE_CHECKING:
    from kmsg_authoring.compile import CompileEnv


@dataclass(frozen=True)
class BuildOptions:
    """How a build runs. Plain data: a pool of processes can hand it to every worker."""

    write: bool = True  # write build/ (outputs, contracts, manifest)
    use_cache: bool = True  # reuse templates whose sources did not change (build/.cache.sqlite)
    lint: bool = True  # lint what is compiled; a template with lint errors is refused
    lint_cached: bool = False  # lint templates that come from the cache again (the lint command)
    # False (the build command): an unchanged template whose outputs in build/ are proven current is
    # not even loaded, and is listed in `unchanged`.
    load_unchanged: bool = True
    # Processes the templates are compiled in (None: the machine's cores when there are enough templates
    # to compile to pay for starting them, else this one); outputs and findings do not depend on it.
    jobs: int | None = None


# What `kmsg-author build` does.
DEFAULT_OPTIONS = BuildOptions()
# Checks only: nothing written, nothing linted (compat, contracts, snapshots, ids).
CHECK_ONLY = BuildOptions(write=False, lint=False)


# -- one template ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VariantResult:
    """One compile of a template folder: its default locale (locale None) or one other locale."""

    cache_key: str  # the slug for the default locale, "<slug>.<locale>" for another
    slug: str
    locale: str | None
    compiled: CompiledTemplate | None = None
    failures: tuple[KmsgError, ...] = ()
    problems: tuple[Problem, ...] | None = None  # None: not linted by this run
    rebuilt: bool = False  # compiled by this run (not loaded from the cache)
    proven_as: str | None = None  # not loaded: sources unchanged and build/<proven_as>.* proven current
    # A fresh compile that passed every gate (samples and lint): the reads to remember it by.
    remember: dict[str, str | None] | None = None


@dataclass(frozen=True)
class TemplateResult:
    """Everything one template folder's step found: its default locale's build, then its other locales'."""

    slug: str
    variants: tuple[VariantResult, ...]
    localized: bool


class Step:
    """What each template's step reads: the settings, the options, the cache and the last manifest.

    Open one per process. Steps only read it (the compile environment and the cache's file hashes
    are memos); what a step learns comes back in its TemplateResult and is applied by the Builder.
    """

    def __init__(self, config: Config, options: BuildOptions) -> None:
        self.config = config
        self.options = options
        self._lint: Callable[[CompiledTemplate, Config], Iterable[Problem]] | None = None
        self._samples: Callable[[Config, CompiledTemplate], Sequence[KmsgError]] | None = None
        self.cache = Cache(config, settings_key(config)) if options.use_cache else None
        # The last build's manifest, and each entry's text as written (for proving outputs current).
        self.manifest, self.written = read_manifest(config) if options.write else ({}, {})
        self._env: CompileEnv | None = None

    # Fail closed: when the linter or the sample checks cannot run, nothing is built. They are loaded
    # when a template is compiled, so a build with nothing to compile reads and hashes, nothing more.
    @property
    def lint(self) -> Callable[[CompiledTemplate, Config], Iterable[Problem]] | None:
        """The linter (None: this build does not lint)."""
        if self._lint is None and self.options.lint:
            self._lint = _lint_function()
        return self._lint

    @property
    def samples(self) -> Callable[[Config, CompiledTemplate], Sequence[KmsgError]]:
        """The sample checks."""
        if self._samples is None:
            self._samples = _samples_function()
        return self._samples

    @property
    def env(self) -> CompileEnv:
        """The compile environment of this process, made on first use (an unchanged build needs none)."""
        if self._env is None:
            from kmsg_authoring.compile import CompileEnv

            self._env = CompileEnv(self.config)
        return self._env


def build_template(step: Step, slug: str) -> TemplateResult:
    """Compile (or load), check and lint one template folder: its default locale first, since whether it
    has translatable text is known once it is compiled (or from the outputs its last build proved)."""
    first = _variant(step, slug, slug, None)
    if first.compiled is not None:
        localized = first.compiled.locale is not None
    else:
        localized = first.proven_as is not None and first.proven_as != slug
    if not localized:
        return TemplateResult(slug, (first,), False)
    config = step.config
    others = tuple(
        _variant(step, f"{slug}.{locale}", slug, locale) for locale in config.locales if locale != config.default_locale
    )
    return TemplateResult(slug, (first, *others), True)


def _variant(step: Step, key: str, slug: str, locale: str | None) -> VariantResult:
    config, options, cache = step.config, step.options, step.cache
    compiled = None
    if cache is not None and cache.unchanged(key, slug):
        if options.write and not options.load_unchanged and not options.lint_cached:
            name = proven(config, step.written, cache.outputs(key), slug)
            if name is not None:
                return VariantResult(key, slug, locale, proven_as=name)
        compiled = cache.load(key)
    errors: list[KmsgError] = []
    reads: dict[str, str | None] = {}
    fresh = compiled is None
    if compiled is None:
        # The cache keys the result by the bytes these reads saw, not by the files as they are later.
        from kmsg_authoring.compile import compile_template

        with recording_reads() as reads:
            try:
                compiled = compile_template(config, slug, env=step.env, locale=locale)
            except KmsgError as exc:
                return VariantResult(key, slug, locale, failures=(exc,))
            errors.extend(step.samples(config, compiled))
    problems: tuple[Problem, ...] | None = None
    if step.lint is not None and (fresh or options.lint_cached):
        problems = _lint(step.lint, compiled, config)
        errors.extend(KmsgError(f"{p.code} {p.message}", p.location) for p in problems if p.is_error)
    # Only a compile that passed every gate is remembered: a run that did not lint remembers nothing,
    # so a later build never takes an unlinted template from the cache.
    remember = dict(reads) if fresh and problems is not None and not errors else None
    return VariantResult(key, slug, locale, compiled, tuple(errors), problems, fresh, None, remember)


def _lint(
    lint: Callable[[CompiledTemplate, Config], Iterable[Problem]], compiled: CompiledTemplate, config: Config
) -> tuple[Problem, ...]:
    try:
        return tuple(lint(compiled, config))
    except KmsgError:
        raise
    except Exception as exc:  # a check that crashed did not pass
        raise BuildError(
            f"the linter could not check this template ({type(exc).__name__}: {exc}); nothing was built",
            Location(compiled.meta.path),
        ) from exc


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
