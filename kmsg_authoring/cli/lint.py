"""`kmsg-author lint`: check templates against the rule catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

FORMAT_CHOICES = ("text", "json", "sarif", "github")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lint",
        help="check templates for broken tokens, unsubscribe and addressing mistakes, mail-client HTML issues",
        description=(
            "Compile the named templates (default: all under templates_src/) and check them against the "
            "rule catalog (`kmsg-author rules` lists it). Findings point at the file you edit: "
            "path:line:col: CODE message. Exit 0 with no errors, 1 with errors (or warnings with --strict), "
            "2 for usage or configuration errors. Disable or re-grade rules under [lint] in kmsg.toml, "
            "or under kmsg: {lint: ...} in a template.yaml."
        ),
    )
    p.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="template slugs, folders or files inside them (default: every template); a file under a folder "
        "starting with '_' (layout, partial, stylesheet) checks every template",
    )
    p.add_argument(
        "--format",
        choices=FORMAT_CHOICES,
        default="text",
        help="text (default, coloured on a terminal), json, sarif (SARIF 2.1.0 for code scanning) "
        "or github (workflow annotations)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--no-cache", action="store_true", help="recompile every template, ignoring the build cache")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Lint the templates the paths name and write the findings in the chosen format."""
    from kmsg_authoring.cli._common import write_findings
    from kmsg_authoring.project.lint import lint_paths

    report = lint_paths(args.paths, project=Path(args.project) if args.project else None, use_cache=not args.no_cache)
    write_findings(report, args.format, args.output)
    return report.exit_code(args.strict)
