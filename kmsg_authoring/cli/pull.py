"""`kmsg-author pull`: import an environment's templates into the project."""

from __future__ import annotations

import argparse
from typing import Any

from kmsg_authoring.cli._common import config_from, err, out
from kmsg_authoring.cli.publish import add_env_options
from kmsg_authoring.errors import EXIT_OK


def register(subparsers: Any) -> None:
    """Add the pull command."""
    parser = subparsers.add_parser(
        "pull",
        help="import remote templates into templates_src/",
        description=(
            "Write each template of the environment's appGuid (or only --name ones) to "
            "templates_src/<slug>/: template.yaml with the API's field names and kmsg: {jinja: false}, and "
            "body.html exactly as stored remotely. Each pulled template is adopted: its adminTags get the "
            "kmsg-author mark and a publish record, so `plan` reports it unchanged, `publish` updates it "
            "after a local edit, and an edit made elsewhere is drift. Refuses to "
            "overwrite an existing folder (writing nothing) unless --force."
        ),
    )
    add_env_options(parser, "read from")
    parser.add_argument(
        "--name",
        action="append",
        default=[],
        metavar="NAME",
        help="pull only the template with this exact name (repeatable)",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="overwrite template.yaml and body.html of existing folders "
        "(over a template written in MJML, the HTML as stored replaces body.mjml)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Pull and list what was written."""
    from kmsg_authoring.publish.run import pull_from

    config = config_from(args)
    env, result = pull_from(config, args.env, names=args.name, force=args.force, log=err if args.verbose else None)
    for slug, name in result.written:
        out(f"pulled '{name}' -> {config.rel(config.src_dir / slug)}/")
    if result.translations:
        out(
            f"kept {len(result.translations)} translation(s) with their group (their text lives in the "
            f"catalogs under _locales/): {', '.join(result.translations)}"
        )
    if result.adopted:
        out(f"adopted {len(result.adopted)} template(s) as managed by kmsg-author: {', '.join(result.adopted)}")
    out(
        f"{len(result.written)} template(s) pulled from {env.name}"
        if result.written
        else f"no templates in appGuid {env.app_guid} of {env.name}"
    )
    return EXIT_OK
