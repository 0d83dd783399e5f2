"""`kmsg-author spam`: SpamAssassin's score of every template's messages, rule hits at their source lines."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the spam command."""
    p = sub.add_parser(
        "spam",
        help="score each template's messages with SpamAssassin (offline) and list the rules they hit",
        description=(
            "Render each template for every recipient of its samples into the complete message the API sends "
            "(From, To, Subject, Date, Message-ID, customHeaders and the HTML body) and score it with "
            "SpamAssassin's shipped rules: local tests only (no DNS or network tests), no Bayes, a private "
            "configuration. One spamd is started on a loopback port for the run and stopped after it (or the "
            "one [deliverability] spamd in kmsg.toml names is used), and messages are scored in parallel. "
            "Every rule hit is listed with its points and description, and body, subject and link rules at the "
            "source line of the text that triggered them. Exit 0 when every message scores at or below "
            "[deliverability] max_spam_score (without it: below SpamAssassin's threshold), 1 when one scores "
            "above it or a template cannot be rendered, 2 when SpamAssassin is not installed (apt-get install "
            "spamassassin) or for usage errors."
        ),
    )
    p.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template slugs or folders (default: all)")
    p.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="text (default), json or markdown"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE instead of standard output")
    p.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="spamd children scoring at once (default: CPUs, at most 4)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the spam command."""
    import json
    import sys
    from pathlib import Path

    from kmsg_authoring.cli._common import config_from, err
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.review.spam import format_markdown, format_text, score_templates

    if args.jobs is not None and not 1 <= args.jobs <= 32:
        raise UsageError("--jobs must be between 1 and 32")
    config = config_from(args)
    if sys.stderr.isatty():
        err("starting spamd and scoring...")
    result = score_templates(config, args.templates or None, children=args.jobs)
    for slug, errors in sorted(result.failures.items()):
        for e in errors:
            err(f"{e} (template {slug} was not scored)" if e.location else f"{slug}: {e}")
    if args.format == "json":
        text = json.dumps(result.as_json(), indent=2, ensure_ascii=False) + "\n"
    elif args.format == "markdown":
        text = format_markdown(result)
    else:
        text = format_text(result)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    over = [m for m in result.messages if result.over(m)]
    if over:
        err(f"{len(over)} of {len(result.messages)} message(s) over the spam limit")
    return result.exit_code
