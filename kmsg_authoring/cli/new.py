"""`kmsg-author new SLUG`: scaffold a template folder."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "new",
        help="scaffold a new template folder",
        description=(
            "Create templates_src/SLUG/ with template.yaml, a body.html on the shared layout and a "
            "sample (and the shared layout itself if the project has none). It builds and lints clean as it is."
        ),
    )
    p.add_argument("slug", metavar="SLUG", help="folder name of the template: lowercase letters, digits and '-'")
    p.add_argument(
        "--mjml",
        action="store_true",
        help="write the body in MJML: body.mjml on an MJML layout (_layouts/base.mjml), compiled by MRML",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.source.scaffold import new_template

    config = config_from(args)
    for rel in new_template(config, args.slug, mjml=args.mjml):
        out(f"created {rel}")
    return EXIT_OK
