"""Config and slugs in, a LintReport out: the project-wide lint, compiling through the build and its cache.

It stands beside build.py, above both compile/ and lint/: lint/ judges one compiled template and
never calls the build.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.project.build import CHECK_ONLY, BuildOptions, BuildReport, build_project
from kmsg_authoring.errors import KmsgError, Location, UsageError
from kmsg_authoring.lint import compile_problem, sort_problems
from kmsg_authoring.lint.problem import ERROR, SAMPLE_ERROR, Problem
from kmsg_authoring.lint.registry import catalog
from kmsg_authoring.lint.report import LintReport
from kmsg_authoring.source.config import CONFIG_FILE, Config, find_root, load_config
from kmsg_authoring.source.project import TEMPLATE_FILE, discover
from kmsg_authoring.source.targets import resolve_slugs

if TYPE_CHECKING:
    from kmsg_authoring.lint.compat import TemplateCompat


def lint_project(config: Config, slugs: Iterable[str] | None = None, *, use_cache: bool = True) -> LintReport:
    """Lint the given templates (default: all); compile failures become KM001 problems.

    Raises ConfigError for unknown rule codes or options in the lint settings.
    """
    targets = sorted(set(slugs)) if slugs is not None else discover(config.src_dir)
    report = build_project(config, targets, BuildOptions(write=False, use_cache=use_cache, lint_cached=True))
    return LintReport(tuple(build_problems(config, report, targets)), tuple(targets))


def lint_paths(paths: Sequence[str] = (), *, project: Path | None = None, use_cache: bool = True) -> LintReport:
    """Lint the templates named by paths as `kmsg-author lint` takes them (default: every template).

    The project is the one of project, else the nearest kmsg.toml above the first path, else the
    current folder's.
    """
    config = load_config(project) if project is not None or not paths else config_near(paths[0])
    return lint_project(config, templates_for_paths(config, paths), use_cache=use_cache)


def config_near(path: str) -> Config:
    """The project of a path: the nearest kmsg.toml above it, else the current folder's."""
    first = Path(path)
    root = find_root(first if first.is_dir() else first.parent)
    return load_config(root if (root / CONFIG_FILE).is_file() else None)


def templates_for_paths(config: Config, paths: Sequence[str]) -> list[str]:
    """The slugs paths name: slugs, template folders, files inside them, the source folder (every template).

    A file under a folder starting with '_' (layout, partial, stylesheet) names every template; a file
    beside the templates names none. No paths: every template, UsageError when there is none.
    """
    src = config.src_dir.resolve()
    slugs: set[str] = set()
    for name in paths:
        path = Path(name)
        if not path.exists():
            # A template slug, as build, preview and samples take (unknown names are a usage error).
            slugs.update(resolve_slugs(config, [name]))
            continue
        resolved = path.resolve()
        if resolved == src:
            slugs.update(discover(config.src_dir))
        elif not (resolved.parent == src and resolved.is_file()):  # a README beside the templates: none
            slugs.update(resolve_slugs(config, [name]))
    if not paths:
        slugs.update(discover(config.src_dir))
        if not slugs:
            raise UsageError(f"no templates in {config.rel(config.src_dir)}/ (create one with `kmsg-author new SLUG`)")
    return sorted(slugs)


@dataclass
class ProjectBuild:
    """What `kmsg-author build` did: the templates it was asked for, the build report and every finding."""

    slugs: list[str]
    report: BuildReport
    problems: list[Problem]


def build_templates(
    config: Config,
    names: Sequence[str] = (),
    *,
    use_cache: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
    jobs: int | None = None,
) -> ProjectBuild:
    """Build the named templates (default: all) into build/, with their findings; UsageError when there is none."""
    slugs = resolve_slugs(config, names)
    if not slugs:
        raise UsageError(f"no templates in {config.rel(config.src_dir)}/ (create one with `kmsg-author new SLUG`)")
    report = build_project(config, slugs, BuildOptions(use_cache=use_cache, load_unchanged=False, jobs=jobs), progress)
    return ProjectBuild(slugs, report, build_problems(config, report, slugs))


def build_problems(config: Config, report: BuildReport, slugs: Iterable[str]) -> list[Problem]:
    """Every finding of a build as a Problem with its rule code, in reading order, duplicates dropped.

    Compile failures are KM001, sample errors KM002, lint findings keep their own code: the build,
    lint and publish all print findings through this, so they read the same everywhere.
    """
    src = config.rel(config.src_dir)
    problems: list[Problem] = []
    for slug in report.keys(slugs):
        fallback = Location(f"{src}/{report.slug_of(slug)}/{TEMPLATE_FILE}")
        failures = report.failures.get(slug, [])
        if slug not in report.compiled:
            problems.extend(compile_problem(exc, fallback, slug) for exc in failures)
            continue
        found = list(report.problems.get(slug, []))
        problems.extend(found)
        from_lint = {(f"{p.code} {p.message}", p.location) for p in found}
        for exc in failures:
            if (exc.message, exc.location) not in from_lint:
                sample_rule = catalog()[SAMPLE_ERROR]  # the catalog loads every rule: only when needed
                problems.append(
                    Problem(exc.location or fallback, sample_rule.code, sample_rule.name, ERROR, exc.message, slug)
                )
    # A finding in a shared layout or partial is the same for every template that includes it.
    unique = {(p.location, p.code, p.severity, p.message): p for p in reversed(problems)}
    return sort_problems(list(unique.values()))


def compat_report(
    config: Config, names: Sequence[str] = ()
) -> tuple[list[TemplateCompat], list[tuple[str, KmsgError]]]:
    """Each named template's mail-client support (default: all), and (slug, error) of those that did not compile."""
    from kmsg_authoring.lint.compat import summarize

    slugs = sorted(resolve_slugs(config, names) if names else discover(config.src_dir))
    if not slugs:
        raise UsageError(f"no templates in {config.rel(config.src_dir)}/")
    report = build_project(config, slugs, CHECK_ONLY)
    # A template built per locale is summarised once, from its default locale's build.
    keys = [k for k in report.keys(slugs) if k not in report.variants or report.variants[k][1] == config.default_locale]
    failed = [(key, exc) for key in keys if key not in report.compiled for exc in report.failures.get(key, [])]
    return [summarize(report.compiled[k], config) for k in keys if k in report.compiled], failed
