"""`kmsg-author links`: every link and image URL of the rendered emails; with --online, resolved."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the links command."""
    p = sub.add_parser(
        "links",
        help="list every link and image URL of the rendered emails; with --online, check that each works",
        description=(
            "Render each template for every recipient of its samples (tokens filled from the samples) and list "
            "every http(s) link and image URL with the source line it was written on. Nothing goes over the "
            "network unless --online is given: then each distinct URL is fetched once, concurrently up to "
            "--concurrency, at most two at a time per host with a pause between requests to one host, each with "
            "a --timeout; redirects are followed and the final URL reported, as are HTTP errors, TLS errors and "
            "answers slower than --slow seconds. Working answers are cached for a day in the build folder "
            "(--no-cache asks again). The offline link rules (KM801-KM806) run in `kmsg-author lint`. Exit 0 when "
            "every link works, 1 on a broken link or a template that cannot be rendered, 2 for usage errors."
        ),
    )
    p.add_argument("templates", nargs="*", metavar="TEMPLATE", help="template slugs or folders (default: all)")
    p.add_argument("--online", action="store_true", help="resolve every URL over the network")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    p.add_argument("--timeout", type=float, default=15.0, metavar="S", help="seconds per request (default 15)")
    p.add_argument("--slow", type=float, default=3.0, metavar="S", help="report answers slower than this (default 3)")
    p.add_argument("--concurrency", type=int, default=8, metavar="N", help="requests in flight (default 8)")
    p.add_argument("--no-cache", action="store_true", help="ask about every URL again, ignoring earlier answers")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the links command."""
    import json
    import sys

    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.errors import EXIT_OK, UsageError
    from kmsg_authoring.review.links import LinkOptions, LinksResult, check_links, collect_urls, format_text

    if not 0 < args.timeout <= 600 or not 0 < args.slow <= 600 or not 1 <= args.concurrency <= 64:
        raise UsageError("--timeout and --slow must be 0-600 seconds and --concurrency 1-64")
    config = config_from(args)
    options = LinkOptions(
        concurrency=args.concurrency, timeout=args.timeout, slow=args.slow, cache_ttl=0 if args.no_cache else 86400
    )
    if not args.online:
        result = LinksResult(templates=[], options=options)
        result.checks = list(collect_urls(config, args.templates or None, result).values())
        for slug, errors in sorted(result.failures.items()):
            for e in errors:
                err(f"{e} (template {slug} was not checked)" if e.location else f"{slug}: {e}")
        if args.format == "json":
            out(json.dumps({"urls": [c.as_json(options.slow) for c in result.checks]}, indent=2))
        else:
            for c in result.checks:
                out(f"{c.where[0][0]}: {c.kind} {c.url}")
            err(f"{len(result.checks)} URL(s); nothing was fetched (use --online to check them)")
        return result.exit_code if result.failures else EXIT_OK
    if sys.stderr.isatty():
        err("checking links...")
    result = check_links(config, args.templates or None, options=options)
    for slug, errors in sorted(result.failures.items()):
        for e in errors:
            err(f"{e} (template {slug} was not checked)" if e.location else f"{slug}: {e}")
    if args.format == "json":
        out(json.dumps(result.as_json(), indent=2))
    else:
        sys.stdout.write(format_text(result))
    return result.exit_code
