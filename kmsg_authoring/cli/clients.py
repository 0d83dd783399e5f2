"""`kmsg-author clients`: the mail clients of the Can I email data, and which ones the project targets."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "clients",
        help="list the known mail clients and which the project targets",
        description=(
            "List every mail client and platform of the Can I email data as family.platform (the names "
            '`[lint] clients` globs select, e.g. "gmail.*", "outlook.windows"), marking with * the '
            "ones the project targets (or a template, given its slug)."
        ),
    )
    p.add_argument("template", nargs="?", metavar="TEMPLATE", help="show the targets of this template")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """List the clients, marking the targeted ones."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.errors import EXIT_OK
    from kmsg_authoring.lint.caniemail import DEFAULT_CLIENTS
    from kmsg_authoring.lint.compat import targeted_clients

    targets = targeted_clients(config_from(args), args.template)
    for client, name in targets.clients.items():
        out(f"{'*' if client in targets.chosen else ' '} {client:<30} {name}")
    out(
        f"\n{len(targets.chosen)} of {len(targets.clients)} clients targeted (*), from {targets.source}; "
        f"the default is {', '.join(DEFAULT_CLIENTS)}"
    )
    return EXIT_OK
