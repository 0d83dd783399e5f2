"""`kmsg-author ids`: template x locale -> remote template id, for the service that picks templateId."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kmsg_authoring.cli.publish import add_env_options
from kmsg_authoring.errors import exit_status


def register(subparsers: Any) -> None:
    """Add the ids command."""
    parser = subparsers.add_parser(
        "ids",
        help="print the remote id of every template in every locale",
        description=(
            "Build the project, list the environment's templates and print, per template and locale, "
            "the id of the remote template of that name: what a sending service uses to pick the "
            "templateId by the recipient's language. Only list requests are sent. Exit 0 when every "
            "template is published, 1 when one is not, 2 for usage or configuration errors."
        ),
    )
    add_env_options(parser, "look the ids up in")
    parser.add_argument(
        "--format",
        choices=("text", "json"),
        default="text",
        help='text (default) or json: {"templates": {slug: {locale: id}}, "entries": [...]}',
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the mapping."""
    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.publish.format import format_ids
    from kmsg_authoring.publish.ids import ids_json
    from kmsg_authoring.publish.run import ids_from

    rows = ids_from(config_from(args), args.env, log=err if args.verbose else None)
    out(json.dumps(ids_json(rows), indent=2, ensure_ascii=False) if args.format == "json" else format_ids(rows))
    return exit_status(any(r.id is None for r in rows))
