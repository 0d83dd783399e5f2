"""`kmsg-author a11y`: accessibility of the rendered emails (axe-core in Chromium), at their source lines."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_FAILURE, exit_status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the a11y command."""
    p = sub.add_parser(
        "a11y",
        help="check the rendered emails for accessibility (contrast, alt text, link names, layout tables...)",
        description=(
            "Render each template for every recipient of its samples, at every snapshot width and colour "
            "scheme, in headless Chromium with the network blocked, and run axe-core's rules that apply to "
            "email (contrast, image alternatives, link names, heading order, language, zoom) plus layout "
            'tables without role="presentation" and text below a minimum size. Findings (KM901-KM909, '
            "`kmsg-author rules KM901` explains one) point at the layout, partial or body line the element "
            "came from and say for which recipient, width and scheme they were seen; configure them under "
            "[lint] in kmsg.toml like lint rules. Exit 0 with no errors, 1 with errors (only new ones with "
            "--baseline), 2 for usage errors or a missing browser (pip install 'kmsg-author[browser]')."
        ),
    )
    p.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template slugs or folders (default: all)")
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif", "github"),
        default="text",
        help="text (default), json, sarif (code scanning) or github (workflow annotations)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument("--width", metavar="LIST", help="comma-separated widths in px (default: [snapshot] widths)")
    p.add_argument("--scheme", metavar="LIST", help="comma-separated colour schemes: light, dark (default: both)")
    p.add_argument("--strict", action="store_true", help="exit 1 on warnings too")
    p.add_argument(
        "--baseline",
        metavar="FILE",
        help="an earlier `a11y --format json` report: fail only on findings it does not have",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the a11y command."""
    from kmsg_authoring.cli._common import config_from, err, write_findings
    from kmsg_authoring.cli.snapshot import _ints, _schemes
    from kmsg_authoring.review.a11y import check_accessibility, load_baseline, new_since

    config = config_from(args)
    baseline = load_baseline(args.baseline) if args.baseline else None
    result = check_accessibility(
        config,
        args.templates or None,
        widths=_ints(args.width) if args.width else None,
        schemes=_schemes(args.scheme) if args.scheme else None,
    )
    for slug, errors in sorted(result.failures.items()):
        for e in errors:
            err(f"{e} (template {slug} was not checked)" if e.location else f"{slug}: {e}")
    report = result.report
    write_findings(report, args.format, args.output)
    if result.failures:
        return EXIT_FAILURE
    if baseline is not None:
        new = new_since(report.problems, baseline)
        new_errors = [p for p in new if p.is_error or (args.strict and not p.is_error)]
        if new_errors:
            err(f"{len(new_errors)} accessibility finding(s) not in {args.baseline}")
        return exit_status(bool(new_errors))
    return report.exit_code(args.strict)
