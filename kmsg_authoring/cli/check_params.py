"""`kmsg-author check-params`: check a caller's message/send request (or its msgParams) against a contract."""

from __future__ import annotations

import argparse
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
    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.errors import exit_status
    from kmsg_authoring.project.contracts import check_document, load_contract
    from kmsg_authoring.source.documents import read_document

    contract = load_contract(config_from(args), args.template)
    bad = 0
    for name in args.files:
        label = "<stdin>" if name == "-" else name
        text = read_document(name)
        checked = check_document(contract, label, text)
        bad += not checked.ok
        if checked.error is not None:
            err(str(checked.error))
            continue
        for problem in checked.problems:
            out(f"{label}: {problem}")
        if checked.problems:
            out(
                f"{label}: {len(checked.problems)} problem(s) against the contract of '{contract.name}' "
                f"({checked.what})"
            )
        else:
            out(f"{label}: ok: the {checked.what} matches the contract of '{contract.name}'")
    return exit_status(bool(bad))
