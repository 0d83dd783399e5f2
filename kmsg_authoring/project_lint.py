"""Config and slugs in, a LintReport out: the project-wide lint, compiling through the build and its cache.

It stands beside build.py, above both compile/ and lint/: lint/ judges one compiled template and
never calls the build.
"""

from __future__ import annotations

from collections.abc import Iterable

from kmsg_authoring.build import BuildReport, build_project
from kmsg_authoring.errors import Location
from kmsg_authoring.lint import compile_problem, sort_problems
from kmsg_authoring.lint.problem import ERROR, SAMPLE_ERROR, Problem
from kmsg_authoring.lint.registry import catalog
from kmsg_authoring.lint.report import LintReport
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.project import TEMPLATE_FILE, discover


def lint_project(config: Config, slugs: Iterable[str] | None = None, *, use_cache: bool = True) -> LintReport:
    """Lint the given templates (default: all); compile failures become KM001 problems.

    Raises ConfigError for unknown rule codes or options in the lint settings.
    """
    targets = sorted(set(slugs)) if slugs is not None else discover(config.src_dir)
    report = build_project(config, targets, write=False, use_cache=use_cache, lint=True, lint_cached=True)
    return LintReport(tuple(build_problems(config, report, targets)), tuple(targets))


def build_problems(config: Config, report: BuildReport, slugs: Iterable[str]) -> list[Problem]:
    """Every finding of a build as a Problem with its rule code, in reading order, duplicates dropped.

    Compile failures are KM001, sample errors KM002, lint findings keep their own code: the build,
    lint and publish all print findings through this, so they read the same everywhere.
    """
    src = config.rel(config.src_dir)
    sample_rule = catalog()[SAMPLE_ERROR]
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
                problems.append(Problem(exc.location or fallback, sample_rule.code, sample_rule.name, ERROR,
                                        exc.message, slug))
    # A finding in a shared layout or partial is the same for every template that includes it.
    unique = {(p.location, p.code, p.severity, p.message): p for p in reversed(problems)}
    return sort_problems(list(unique.values()))
