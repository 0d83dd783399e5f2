"""`kmsg-author schema`: print the JSON Schema of template.yaml."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "schema",
        help="print the JSON Schema of template.yaml (for editors)",
        description="Print the JSON Schema that template.yaml follows, so editors can validate and complete it.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import json

    from kmsg_authoring.cli._common import out
    from kmsg_authoring.compile.schema import template_schema

    out(json.dumps(template_schema(strict=True), indent=2))
    return EXIT_OK
