"""`kmsg-author rules`: list the lint rule catalog, or explain one rule."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "rules",
        help="list the lint rules, or explain one",
        description=(
            "Without an argument, list every lint rule: code, default severity, name and summary. "
            "With a rule code or name (KM103, unknown-user-field), explain it: what it checks, why it "
            "matters, a bad and a good example, and its options."
        ),
    )
    p.add_argument("rule", nargs="?", metavar="CODE", help="a rule code or name to explain")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.cli._common import out
    from kmsg_authoring.lint import catalog
    from kmsg_authoring.lint.explain import explain, listing, rule_named

    out(listing(catalog()) if args.rule is None else explain(rule_named(args.rule)))
    return EXIT_OK
