"""`kmsg-author compat`: which targeted mail clients support what each template uses."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compat",
        help="summarise the mail-client support of each template (Can I email data)",
        description=(
            "For each template (default: all), list the HTML, CSS and image features it uses and, per "
            "targeted client ([lint] clients in kmsg.toml, `kmsg-author clients` lists them), whether the "
            "client supports each one, with an overall line and which clients strip the <style> block "
            "the CSS inliner keeps. Exit 0, or 2 for usage or configuration errors (a template that "
            "does not compile is an error: run `kmsg-author lint`)."
        ),
    )
    p.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template slugs or folders (default: all)")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text",
                   help="text (default), json or markdown (a table per template)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from kmsg_authoring.build import build_project, resolve_slugs
    from kmsg_authoring.cli._common import config_from, err
    from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK, EXIT_USAGE
    from kmsg_authoring.lint.compat import FORMATS, summarize
    from kmsg_authoring.source.project import discover

    config = config_from(args)
    slugs = resolve_slugs(config, args.templates) if args.templates else discover(config.src_dir)
    if not slugs:
        err(f"kmsg-author: no templates in {config.rel(config.src_dir)}/")
        return EXIT_USAGE
    report = build_project(config, sorted(slugs), write=False, use_cache=True, lint=False)
    failed = 0
    # A template built per locale is summarised once, from its default locale's build.
    keys = [k for k in report.keys(sorted(slugs))
            if k not in report.variants or report.variants[k][1] == config.default_locale]
    for key in keys:
        for exc in report.failures.get(key, []):
            if key not in report.compiled:
                err(f"{exc.location or key}: {exc.message}")
                failed += 1
    summaries = [summarize(report.compiled[k], config) for k in keys if k in report.compiled]
    sys.stdout.write(FORMATS[args.format](summaries))
    return EXIT_FAILURE if failed else EXIT_OK
