"""`kmsg-author build`: compile templates into build/."""

from __future__ import annotations

import argparse
import sys
import time

from kmsg_authoring.cli._args import whole_number
from kmsg_authoring.errors import exit_status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "build",
        help="compile templates into build/ (API payloads, HTML, manifest)",
        description=(
            "Compile every template under templates_src/ (or the named ones) into build/<slug>.json "
            "(the email-template/add payload), build/<slug>.html (the body), build/contracts/<slug>.schema.json "
            "(the JSON Schema of the msgParams a message/send caller passes) and build/manifest.json. "
            "Only templates whose sources changed are recompiled. A template with a compile or lint "
            "error gets no output; the others still build. Exit 0 when all built, 1 when any failed, "
            "2 for usage or configuration errors."
        ),
    )
    p.add_argument(
        "templates", nargs="*", metavar="TEMPLATE", help="template slugs, folders or files inside them (default: all)"
    )
    p.add_argument("--no-cache", action="store_true", help="recompile everything, ignoring the build cache")
    p.add_argument("-q", "--quiet", action="store_true", help="print failures only")
    p.add_argument(
        "-j",
        "--jobs",
        type=whole_number(1),
        metavar="N",
        help="processes to compile and lint in (default: every core when there are enough templates to pay "
        "for starting them; 1: this process only); the outputs and findings are the same whatever N",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.cli._common import config_from, err, out, use_color
    from kmsg_authoring.lint.formats.text_format import line
    from kmsg_authoring.project.lint import build_templates

    config = config_from(args)
    shown = [False]

    def progress(slug: str, i: int, n: int) -> None:
        if not args.quiet and n > 1 and sys.stderr.isatty():
            shown[0] = True
            sys.stderr.write(f"\r[{i + 1}/{n}] {slug[:60]:<60}")
            sys.stderr.flush()

    start = time.perf_counter()
    built_project = build_templates(
        config, args.templates, use_cache=not args.no_cache, progress=progress, jobs=args.jobs
    )
    slugs, report = built_project.slugs, built_project.report
    if shown[0]:
        sys.stderr.write("\r" + " " * 72 + "\r")
    color = use_color(sys.stderr)
    for p in built_project.problems:
        if p.is_error or not args.quiet:
            err(line(p, color=color))
    for note in report.notes:
        err(f"kmsg-author: warning: {note}")
    if not args.quiet:
        failed = {report.slug_of(k) for k in report.failures}
        built = len(slugs) - len(failed)
        # Unchanged: every build of the template was proven current in build/ and left as it was.
        touched = {report.slug_of(k) for k in report.keys(slugs) if k not in report.unchanged}
        cached = len(set(slugs) - touched)
        elapsed = time.perf_counter() - start
        locales = f", {len(report.variants)} locale builds" if report.variants else ""
        out(
            f"built {built} of {len(slugs)} templates into {config.rel(config.build_dir)}/ "
            f"({cached} unchanged{locales}, {elapsed:.2f}s)" + (f"; {len(failed)} failed" if failed else "")
        )
    return exit_status(bool(report.failures))
