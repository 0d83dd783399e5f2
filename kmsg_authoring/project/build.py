"""Config and template slugs in, a BuildReport and build/ outputs out: compile (incrementally), lint, write.

A build is one `BuildOptions` and three stages. `Step.open` reads what every template's step needs
(settings, the cache, the last manifest); `build_template(step, slug)` compiles, checks and lints one
template folder in each of its locales and returns a `TemplateResult`, changing nothing outside
itself; `Builder.run` files the results in a `BuildReport`, writes build/ and tells the cache what was
learnt. The step is a plain function of (step, slug), so the templates of a build can be mapped over
a pool of processes, each opening its own Step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kmsg_authoring.compile.types import CompiledTemplate
from kmsg_authoring.errors import BuildError, KmsgError, Location
from kmsg_authoring.lint.problem import Problem
from kmsg_authoring.project.cache import Cache, settings_key
from kmsg_authoring.project.outputs import (
    CONTRACT_SUFFIX,
    CONTRACTS_DIR,
    MANIFEST,
    contract_rel,
    manifest_entry,
    manifest_text,
    proven,
    read_manifest,
    write_outputs,
)
from kmsg_authoring.project.report import BuildReport
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.project import discover, recording_reads

if TYPE_CHECKING:
    from kmsg_authoring.compile import CompileEnv

__all__ = [
    "CONTRACTS_DIR",
    "CONTRACT_SUFFIX",
    "MANIFEST",
    "BuildOptions",
    "BuildReport",
    "Builder",
    "Step",
    "TemplateResult",
    "VariantResult",
    "build_project",
    "build_template",
    "contract_rel",
    "manifest_entry",
    "manifest_text",
]


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
        # Fail closed: when the linter or the sample checks cannot run, nothing is built.
        self.lint: Callable[[CompiledTemplate, Config], Iterable[Problem]] | None = (
            _lint_function() if options.lint else None
        )
        self.samples = _samples_function()
        self.cache = Cache(config, settings_key(config)) if options.use_cache else None
        # The last build's manifest, and each entry's text as written (for proving outputs current).
        self.manifest, self.written = read_manifest(config) if options.write else ({}, {})
        self._env: CompileEnv | None = None

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
    from kmsg_authoring.compile import compile_template

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


# -- the build -------------------------------------------------------------------------------------
class Builder:
    """Build templates with one set of options: map the step over them, file, write, remember."""

    def __init__(self, config: Config, options: BuildOptions = BuildOptions()) -> None:
        self.config = config
        self.options = options

    def run(
        self, slugs: Iterable[str] | None = None, progress: Callable[[str, int, int], None] | None = None
    ) -> BuildReport:
        """Compile, check and lint templates (all, or the given slugs); write build/ when the options say so.

        A template that fails to compile or has errors gets no output and a list of failures; the
        others build regardless.
        """
        config = self.config
        targets = list(slugs) if slugs is not None else discover(config.src_dir)
        step = Step(config, self.options)
        had_build_dir = config.build_dir.is_dir()
        results: list[TemplateResult] = []
        for i, slug in enumerate(targets):
            if progress:
                progress(slug, i, len(targets))
            results.append(build_template(step, slug))
        report, by_key = _file(config, results)
        cache = step.cache
        try:
            if cache is not None:
                for v in by_key.values():
                    if v.failures:
                        cache.forget(v.cache_key)
                    elif v.remember is not None and v.compiled is not None:
                        cache.store(v.compiled, v.remember, record=self.options.load_unchanged, key=v.cache_key)
            if self.options.write:
                digests = self._write(report, report.keys(targets), step.manifest, had_build_dir)
                if cache is not None:
                    for key, digest in digests.items():
                        cache.record_outputs(by_key[key].cache_key, digest)
        finally:
            if cache is not None:
                cache.save()
                if cache.problem:
                    report.notes.append(cache.problem)
        return report

    def _write(
        self, report: BuildReport, keys: list[str], manifest: dict[str, Any], had_build_dir: bool
    ) -> dict[str, dict[str, Any]]:
        config = self.config
        if had_build_dir and not config.build_dir.is_dir():
            raise BuildError(f"{config.rel(config.build_dir)}/ was removed during the build; run the build again")
        try:
            return write_outputs(config, report, keys, manifest)
        except OSError as exc:
            failed = Path(exc.filename) if exc.filename else config.build_dir
            # A temporary file's name means nothing to the user: name its folder.
            where = f"{config.rel(failed.parent)}/" if failed.name.endswith(".tmp") else config.rel(failed)
            raise BuildError(f"cannot write {where}: {exc.strerror or exc}") from None


def _file(config: Config, results: Sequence[TemplateResult]) -> tuple[BuildReport, dict[str, VariantResult]]:
    """The results in a report, each under its report key ("<slug>.<locale>" for a localized template)."""
    report = BuildReport()
    by_key: dict[str, VariantResult] = {}
    for result in results:
        for v in result.variants:
            key = v.cache_key
            if result.localized:
                locale = v.locale or config.default_locale
                key = f"{result.slug}.{locale}"
                report.variants[key] = (result.slug, locale)
            by_key[key] = v
            if v.proven_as is not None:
                report.unchanged.append(key)
                continue
            if v.compiled is not None:
                report.compiled[key] = v.compiled
            if v.failures:
                report.failures[key] = list(v.failures)
            if v.problems is not None:
                report.problems[key] = list(v.problems)
            if v.rebuilt:
                report.rebuilt.append(key)
    return report, by_key


def build_project(
    config: Config,
    slugs: Iterable[str] | None = None,
    options: BuildOptions = BuildOptions(),
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildReport:
    """Build templates (all, or the given slugs) with options: `Builder(config, options).run(slugs)`."""
    return Builder(config, options).run(slugs, progress)


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
