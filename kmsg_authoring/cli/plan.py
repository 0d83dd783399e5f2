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
            "Only list requests are sent."
        ),
    )
    add_plan_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plan."""
    return run_plan(args, apply=False)
