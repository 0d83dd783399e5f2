"""`kmsg-author publish`: build, lint, plan and apply the plan to an environment."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from kmsg_authoring.cli._common import config_from, err, out
from kmsg_authoring.errors import EXIT_CHANGES, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, exit_status

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.source.config import Config, Environment

DEFAULT_CONCURRENCY = 4


def add_env_options(parser: argparse.ArgumentParser, purpose: str) -> None:
    """--env and --verbose, which every command talking to the API takes."""
    parser.add_argument("--env", required=True, metavar="NAME", help=f"environment of kmsg.toml to {purpose}")
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="log every request to standard error (the KS is shown as <hidden>)",
    )


def connect(args: argparse.Namespace, **options: Any) -> tuple[Config, Environment, MessagingClient]:
    """The project, the --env environment and a client for it (--verbose logs requests)."""
    from kmsg_authoring.api import open_client

    config = config_from(args)
    env, client = open_client(config, args.env, log=err if args.verbose else None, **options)
    return config, env, client


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by plan and publish."""
    add_env_options(parser, "compare with")
    parser.add_argument(
        "--format", choices=("text", "json"), default="text",
        help="text for people (default) or json for CI; the json keys are stable",
    )
    parser.add_argument(
        "--prune", action="store_true",
        help="delete managed remote templates that no longer exist in the project",
    )
    parser.add_argument(
        "--force", action="store_true",
        help="overwrite remote templates edited outside kmsg-author (drift) and take over same-named "
             "templates kmsg-author does not manage (with --only, only those templates)",
    )
    parser.add_argument(
        "--only", action="append", default=[], metavar="NAME",
        help="limit to this template, by its name or its slug (repeatable); other templates are neither "
             "built, compared, published nor forced",
    )
    parser.add_argument(
        "--allow-breaking", action="store_true",
        help="publish changes that break the services sending a template (a token added, a token's type "
             "changed, a User field newly read, a cid: image newly required); without it they are refused "
             "unless the template's kmsg: {contract: {allow_breaking: [...]}} names the token",
    )


def register(subparsers: Any) -> None:
    """Add the publish command."""
    parser = subparsers.add_parser(
        "publish",
        help="publish changed templates to an environment",
        description=(
            "Build and lint every template (any error stops before a request is made), compare them by "
            "name with the templates of the environment's appGuid, then add new ones, update changed "
            "fields of changed ones and leave unchanged ones alone. Templates edited outside kmsg-author "
            "since the last publish are refused unless --force. Exit 1 when anything failed or was refused."
        ),
    )
    add_plan_options(parser)
    parser.add_argument("--dry-run", action="store_true", help="show the plan and send nothing (same as plan)")
    parser.add_argument(
        "--concurrency", type=int, default=DEFAULT_CONCURRENCY, metavar="N",
        help=f"requests in flight at once (default {DEFAULT_CONCURRENCY})",
    )
    parser.set_defaults(func=run)


class _Progress:
    """A one-line progress bar on a terminal; silent otherwise."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.total, self.done, self.enabled = total, 0, enabled and total > 0

    def step(self, label: str) -> None:
        self.done += 1
        if self.enabled:
            width = 30
            filled = width * self.done // self.total
            bar = "#" * filled + "." * (width - filled)
            sys.stderr.write(f"\r[{bar}] {self.done}/{self.total} {label[:40]:<40}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\r" + " " * 80 + "\r")
            sys.stderr.flush()


def _log_counts(counts: Mapping[str, int], log: Callable[[str], None] | None) -> None:
    if log is not None:
        log("requests: " + (", ".join(f"{e} {n}" for e, n in sorted(counts.items())) or "none"))


def plan_exit_code(plan: Any, *, detailed: bool = False) -> int:
    """1 when publish would refuse something (drift, conflict); with detailed, 2 when it would write, else 0."""
    if plan.blocked:
        return EXIT_FAILURE
    return EXIT_CHANGES if detailed and plan.todo else EXIT_OK


def run_plan(args: argparse.Namespace, *, apply: bool) -> int:
    """Plan (and with apply, publish) as the options ask; returns the exit code."""
    from kmsg_authoring.publish import plan as pub

    concurrency = getattr(args, "concurrency", DEFAULT_CONCURRENCY)
    if concurrency < 1:
        err("kmsg-author: --concurrency must be at least 1")
        return EXIT_USAGE
    config, env, client = connect(args, max_connections=concurrency)
    log = err if args.verbose else None
    with client:
        only = getattr(args, "only", None) or None
        if only:
            from kmsg_authoring.publish.select import select_slugs

            templates = pub.local_templates(config, select_slugs(config, only))
        else:
            templates = pub.local_templates(config)
        plan = pub.make_plan(
            client, templates, environment=env.name, app_guid=env.app_guid, prune=args.prune,
            force=args.force, only={t.name for t in templates} if only else None,
            allow_breaking=args.allow_breaking,
        )
        if not apply:
            out(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) if args.format == "json"
                else pub.format_plan(plan))
            _log_counts(client.counts, log)
            return plan_exit_code(plan, detailed=getattr(args, "detailed_exitcode", False))
        if args.format == "text" and not plan.nothing_to_publish:
            out(pub.format_plan(plan))
        progress = _Progress(len(plan.todo), sys.stderr.isatty() and args.format == "text" and not args.verbose)
        result = pub.apply_plan(
            client, plan, concurrency=concurrency, on_done=lambda o: progress.step(o.action.name)
        )
        progress.close()
        _log_counts(client.counts, log)
    if args.format == "json":
        out(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        out(pub.format_result(result))
    return exit_status(not result.ok)


def run(args: argparse.Namespace) -> int:
    """Publish, or with --dry-run only show the plan."""
    return run_plan(args, apply=not args.dry_run)
