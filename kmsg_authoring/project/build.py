"""Config and template slugs in, a BuildReport and build/ outputs out: compile (incrementally), lint, write.

A build is one `BuildOptions` and three stages. `Step` (step.py) is what every template's step reads
(settings, the cache, the last manifest); `build_template(step, slug)` compiles, checks and lints one
template folder in each of its locales and returns a `TemplateResult`, changing nothing outside
itself; `Builder.run` maps it over the templates (over a pool of processes for large projects,
workers.py), files the results in a `BuildReport` in the templates' order, writes build/ and tells the
cache what was learnt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from kmsg_authoring.errors import BuildError
from kmsg_authoring.project.outputs import (
    write_outputs,
)
from kmsg_authoring.project.report import BuildReport
from kmsg_authoring.project.step import (
    CHECK_ONLY,
    DEFAULT_OPTIONS,
    BuildOptions,
    Step,
    TemplateResult,
    VariantResult,
)
from kmsg_authoring.project.workers import map_templates
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.project import discover

# The build's face: what the commands and the other stages call. The rest is imported from the
# module that defines it (project.step, project.outputs, project.report).
__all__ = ["CHECK_ONLY", "BuildOptions", "BuildReport", "Builder", "build_project"]


# -- the build -------------------------------------------------------------------------------------
class Builder:
    """Build templates with one set of options: map the step over them, file, write, remember."""

    def __init__(self, config: Config, options: BuildOptions = DEFAULT_OPTIONS) -> None:
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
        results = map_templates(step, targets, progress)
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
    options: BuildOptions = DEFAULT_OPTIONS,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildReport:
    """Build templates (all, or the given slugs) with options: `Builder(config, options).run(slugs)`."""
    return Builder(config, options).run(slugs, progress)
