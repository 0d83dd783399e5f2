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
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default), json or markdown (a table per template)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the support summary of each template."""
    import sys

    from kmsg_authoring.cli._common import config_from, err
    from kmsg_authoring.errors import exit_status
    from kmsg_authoring.lint.compat import FORMATS
    from kmsg_authoring.project.lint import compat_report

    summaries, failed = compat_report(config_from(args), args.templates)
    for slug, exc in failed:
        err(f"{exc.location or slug}: {exc.message}")
    sys.stdout.write(FORMATS[args.format](summaries))
    return exit_status(bool(failed))
