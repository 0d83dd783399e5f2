"""`kmsg-author lint`: check templates against the rule catalog."""

from __future__ import annotations

import argparse
from pathlib import Path

from kmsg_authoring.errors import EXIT_USAGE

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
        "paths", nargs="*", metavar="PATH",
        help="template slugs, folders or files inside them (default: every template); a file under a folder "
             "starting with '_' (layout, partial, stylesheet) checks every template",
    )
    p.add_argument("--format", choices=FORMAT_CHOICES, default="text",
                   help="text (default, coloured on a terminal), json, sarif (SARIF 2.1.0 for code scanning) "
                        "or github (workflow annotations)")
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument("--no-cache", action="store_true", help="recompile every template, ignoring the build cache")
    p.set_defaults(func=run)


def _config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The project of the paths given (nearest kmsg.toml above the first), else of --project or the cwd."""
    from kmsg_authoring.cli._common import config_from
    from kmsg_authoring.source.config import CONFIG_FILE, find_root, load_config

    if args.project is None and args.paths:
        first = Path(args.paths[0])
        root = find_root(first if first.is_dir() else first.parent)
        if (root / CONFIG_FILE).is_file():
            return load_config(root)
    return config_from(args)


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.build import resolve_slugs
    from kmsg_authoring.cli._common import err, write_findings
    from kmsg_authoring.project_lint import lint_project
    from kmsg_authoring.source.project import discover

    config = _config(args)
    src = config.src_dir.resolve()
    slugs: set[str] = set()
    for name in args.paths:
        path = Path(name)
        if not path.exists():
            # A template slug, as build, preview and samples take (unknown names are a usage error).
            slugs.update(resolve_slugs(config, [name]))
            continue
        resolved = path.resolve()
        if resolved == src:
            slugs.update(discover(config.src_dir))
            continue
        if resolved.parent == src and resolved.is_file():
            continue  # a file beside the templates (README...) belongs to none of them
        slugs.update(resolve_slugs(config, [name]))
    if not args.paths:
        slugs.update(discover(config.src_dir))
        if not slugs:
            err(f"kmsg-author: no templates in {config.rel(config.src_dir)}/ "
                "(create one with `kmsg-author new SLUG`)")
            return EXIT_USAGE
    report = lint_project(config, sorted(slugs), use_cache=not args.no_cache)
    write_findings(report, args.format, args.output)
    return report.exit_code(args.strict)
