"""`kmsg-author contract`: what a sending service must pass, and what changed since a revision."""

from __future__ import annotations

import argparse
from typing import Any

FORMATS = ("json-schema", "markdown", "typescript")


def register(sub: Any) -> None:
    """Add the contract command."""
    p = sub.add_parser(
        "contract",
        help="print the msgParams contract of templates (JSON Schema, Markdown, TypeScript); --diff REV",
        description=(
            "Print the contract of a template (or of every template): the JSON Schema (draft 2020-12) of "
            "the msgParams a message/send request must carry, with where each token is used, the User "
            "fields the template reads and the cid: images the request must attach. build writes the same "
            "schema to build/contracts/<slug>.schema.json. With --diff REV, compare the contracts with "
            "the sources at a Git revision and classify every change as breaking or compatible for the "
            "services that send the templates; exit 1 when a breaking change is not allowed by the "
            "template's kmsg: {contract: {allow_breaking: [...]}}."
        ),
    )
    p.add_argument("template", nargs="?", metavar="TEMPLATE", help="template slug or folder (default: all)")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="json-schema",
        help='json-schema (default; several templates under "contracts"), markdown or typescript',
    )
    p.add_argument(
        "--diff",
        metavar="REV",
        help="classify the contract changes since a Git revision (origin/main, a tag, a commit)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the contracts, or their changes since --diff REV."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.errors import EXIT_OK, exit_status
    from kmsg_authoring.contract.formats import format_contracts
    from kmsg_authoring.project.contracts import contract_changes, format_diff, project_contracts

    config = config_from(args)
    names = [args.template] if args.template else None
    if args.diff is None:
        current = project_contracts(config, names)
        if not current:
            out("no templates")
            return EXIT_OK
        out(format_contracts([c.schema for c in current.values()], args.format).rstrip("\n"))
        return EXIT_OK
    diffs = contract_changes(config, args.diff, names)
    out(format_diff(diffs, args.diff))
    return exit_status(any(d.refused for d in diffs))
