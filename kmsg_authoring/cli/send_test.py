"""`kmsg-author send-test`: send a published template to test recipients and show its delivery."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kmsg_authoring.cli._common import config_from, err, out
from kmsg_authoring.cli.publish import add_env_options
from kmsg_authoring.errors import exit_status
from kmsg_authoring.model import POLL_INTERVALS


def register(subparsers: Any) -> None:
    """Add the send-test command."""
    parser = subparsers.add_parser(
        "send-test",
        help="send a published template to test users and report delivery",
        description=(
            "Find the template published under SLUG's name in the environment, send it through message/send "
            "to the --to user ids with the msgParams of a sample (samples/<name>.yaml; default: 'default', "
            "else the first) and a session label marking it as a test, then check message/list at once and "
            f"after increasing intervals ({', '.join(f'{s:g} s' for s in POLL_INTERVALS)}, ...) "
            "and print the delivery status. "
            "Exit 1 when delivery failed or did not finish in time."
        ),
    )
    parser.add_argument("slug", metavar="SLUG", help="template folder name under templates_src/")
    add_env_options(parser, "send through")
    parser.add_argument(
        "--to",
        action="append",
        required=True,
        metavar="USER_ID",
        help="Kaltura user id of a recipient (repeatable)",
    )
    parser.add_argument("--sample", metavar="NAME", default=None, help="sample whose msgParams to send")
    parser.add_argument(
        "--session", metavar="LABEL", default=None, help="session label (default: kmsg-author-test-<slug>-<UTC time>)"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="stop waiting for delivery after this long (default 120)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Send, wait, report."""
    from kmsg_authoring.publish.format import format_delivery
    from kmsg_authoring.publish.run import send_test_to

    progress = args.format == "text"
    delivery = send_test_to(
        config_from(args),
        args.env,
        slug=args.slug,
        to=args.to,
        sample=args.sample,
        session=args.session,
        timeout=args.timeout,
        log=err if args.verbose else None,
        on_poll=(lambda d: err(f"  {d.status} after {d.waited:.0f} s")) if progress else None,
        on_wait=(lambda s: err(f"  waiting {s:g} s for delivery...")) if progress else None,
    )
    out(json.dumps(delivery.to_json(), indent=2) if args.format == "json" else format_delivery(delivery))
    return exit_status(not delivery.ok)
