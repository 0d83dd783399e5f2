"""`kmsg-author publish`: build, lint, plan and apply the plan to an environment."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from kmsg_authoring.cli._common import config_from, err, out
from kmsg_authoring.errors import EXIT_CHANGES, EXIT_FAILURE, EXIT_OK, exit_status
from kmsg_authoring.publish.run import DEFAULT_CONCURRENCY

if TYPE_CHECKING:
    from kmsg_authoring.publish.actions import Plan


def add_env_options(parser: argparse.ArgumentParser, purpose: str) -> None:
    """--env and --verbose, which every command talking to the API takes."""
    parser.add_argument("--env", required=True, metavar="NAME", help=f"environment of kmsg.toml to {purpose}")
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="log every request to standard error (the KS is shown as <hidden>)",
    )


def add_plan_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by plan and publish."""
    add_env_options(parser, "compare with")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help="text for people (default) or json for CI; the json keys are stable",
    )
    parser.add_argument(
        "--prune",
        action="store_true",
        help="delete managed remote templates that no longer exist in the project",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite remote templates edited outside kmsg-author (drift) and take over same-named "
        "templates kmsg-author does not manage (with --only, only those templates)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="limit to this template, by its name or its slug (repeatable); other templates are neither "
        "built, compared, published nor forced",
    )
    parser.add_argument(
        "--allow-breaking",
        action="store_true",
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
        "--concurrency",
        type=int,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
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


def plan_exit_code(plan: Plan, *, detailed: bool = False) -> int:
    """1 when publish would refuse something (drift, conflict); with detailed, 2 when it would write, else 0."""
    if plan.blocked:
        return EXIT_FAILURE
    return EXIT_CHANGES if detailed and plan.todo else EXIT_OK


def run_plan(args: argparse.Namespace, *, apply: bool) -> int:
    """Plan (and with apply, publish) as the options ask; returns the exit code."""
    from kmsg_authoring.publish.format import format_plan, format_result
    from kmsg_authoring.publish.run import publish_to

    text = args.format == "text"
    progress = _Progress(0, False)

    def on_plan(plan: Plan) -> None:
        nonlocal progress
        if apply and text and not plan.nothing_to_publish:
            out(format_plan(plan))
        progress = _Progress(len(plan.todo), apply and sys.stderr.isatty() and text and not args.verbose)

    run = publish_to(
        config_from(args),
        args.env,
        apply=apply,
        only=getattr(args, "only", None) or (),
        prune=args.prune,
        force=args.force,
        allow_breaking=args.allow_breaking,
        concurrency=getattr(args, "concurrency", DEFAULT_CONCURRENCY),
        log=err if args.verbose else None,
        on_plan=on_plan,
        on_done=lambda o: progress.step(o.action.name),
    )
    progress.close()
    if run.result is None:
        out(json.dumps(run.plan.to_json(), indent=2, ensure_ascii=False) if not text else format_plan(run.plan))
        return plan_exit_code(run.plan, detailed=getattr(args, "detailed_exitcode", False))
    out(json.dumps(run.result.to_json(), indent=2, ensure_ascii=False) if not text else format_result(run.result))
    return exit_status(not run.result.ok)


def run(args: argparse.Namespace) -> int:
    """Publish, or with --dry-run only show the plan."""
    return run_plan(args, apply=not args.dry_run)
