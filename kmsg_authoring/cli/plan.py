"""`kmsg-author plan`: what publish would do, sending no write request."""

from __future__ import annotations

import argparse
from typing import Any

from kmsg_authoring.cli.publish import add_plan_options, run_plan


def register(subparsers: Any) -> None:
    """Add the plan command."""
    parser = subparsers.add_parser(
        "plan",
        help="show what publish would change in an environment",
        description=(
            "Build and lint every template, list the environment's templates and show per template: "
            "add, update (a field-by-field diff, the body as a unified diff), unchanged, drift (edited "
            "outside kmsg-author), conflict or prune; 'nothing to publish' when all are unchanged. "
            "Only list requests are sent. Exit 0 when publish would succeed, 1 when it would refuse a "
            "template (drift or conflict) or anything failed, 2 for usage or configuration errors."
        ),
    )
    add_plan_options(parser)
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="as Terraform: exit 0 with nothing to publish, 2 with changes to publish, 1 on errors, "
        "drift or conflicts (configuration errors included)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan."""
    if not args.detailed_exitcode:
        return run_plan(args, apply=False)
    from kmsg_authoring.cli._common import err
    from kmsg_authoring.errors import EXIT_FAILURE, KmsgError

    # 2 means "changes" here, so every error, configuration ones included, is 1.
    try:
        return run_plan(args, apply=False)
    except KmsgError as exc:
        err(f"kmsg-author: {exc}")
        return EXIT_FAILURE
