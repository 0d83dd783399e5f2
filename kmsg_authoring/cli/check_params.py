"""`kmsg-author check-params`: check a caller's message/send request (or its msgParams) against a contract."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(sub: Any) -> None:
    """Add the check-params command."""
    p = sub.add_parser(
        "check-params",
        help="check a message/send request body or its msgParams (JSON) against a template's contract",
        description=(
            "Validate JSON files against a template's contract with jsonschema: a whole message/send "
            "request body (its other fields are checked against the API too, and its attachments against "
            "the template's cid: images) or just its msgParams object. Every problem is printed with its "
            "JSON pointer. TEMPLATE is a template of the project, or an exported contract file "
            "(build/contracts/<slug>.schema.json), so a sending service can check its fixtures in its own "
            "CI. Exit 0 when every file matches, 1 when any does not, 2 for usage errors."
        ),
    )
    p.add_argument("template", metavar="TEMPLATE", help="template slug or folder, or a .schema.json contract file")
    p.add_argument("files", nargs="+", metavar="FILE", help="JSON files to check; - reads standard input")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Check every file; print its problems."""
    import json

    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.contract import check_request, is_send_request
    from kmsg_authoring.project_contracts import load_contract
    from kmsg_authoring.errors import Location, SourceError, UsageError, exit_status

    contract = load_contract(config_from(args), args.template)
    bad = 0
    for name in args.files:
        label = "<stdin>" if name == "-" else name
        try:
            text = sys.stdin.read() if name == "-" else open(name, encoding="utf-8").read()  # noqa: SIM115
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"{label}: cannot read: {exc}") from None
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            err(str(SourceError(f"not JSON: {exc.msg}", Location(label, exc.lineno, exc.colno))))
            bad += 1
            continue
        problems = check_request(contract.schema, document)
        what = "message/send request" if is_send_request(document) else "msgParams"
        if problems:
            bad += 1
            for problem in problems:
                out(f"{label}: {problem}")
            out(f"{label}: {len(problems)} problem(s) against the contract of '{contract.name}' ({what})")
        else:
            out(f"{label}: ok: the {what} matches the contract of '{contract.name}'")
    return exit_status(bool(bad))
