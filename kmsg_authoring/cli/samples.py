"""`kmsg-author samples`: write a template's default sample, check sample files."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_OK, EXIT_USAGE, exit_status


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the samples command and its subcommands."""
    p = sub.add_parser(
        "samples",
        help="create and check preview samples (samples/<name>.yaml)",
        description=(
            "A sample is shaped like a message/send request: `users` (the recipients) and `msgParams` "
            "(a {type, value} per token of the template's msgParamsMap). `init` writes one made from "
            "the declared token types for you to edit; `check` validates sample files against their "
            "template and reports problems at file:line."
        ),
    )
    actions = p.add_subparsers(dest="samples_action", metavar="ACTION")
    init = actions.add_parser(
        "init",
        help="write samples/default.yaml made from the template's token types",
        description="Write a sample with a user whose every User field is filled and a "
        "placeholder value for every token of the template's msgParamsMap.",
    )
    init.add_argument("template", metavar="SLUG", help="the template folder name")
    init.add_argument("--name", default="default", help="sample name (file samples/NAME.yaml; default: default)")
    init.add_argument("--force", action="store_true", help="overwrite an existing sample file")
    init.set_defaults(func=run_init)
    check = actions.add_parser(
        "check",
        help="validate sample files against their templates",
        description="Validate every sample of the named templates (default: all). "
        "Exit 1 when any sample has a problem.",
    )
    check.add_argument("templates", nargs="*", metavar="SLUG", help="template folder names (default: all)")
    check.set_defaults(func=run_check)
    p.set_defaults(func=lambda args: _help(p))


def _help(parser: argparse.ArgumentParser) -> int:
    import sys

    parser.print_help(sys.stderr)
    return EXIT_USAGE


def run_init(args: argparse.Namespace) -> int:
    """Write a template's default sample."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.render.samples import init_template_sample

    config = config_from(args)
    path = init_template_sample(config, args.template, name=args.name, force=args.force)
    out(f"wrote {config.rel(path)}")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    """Validate sample files."""
    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.render.samples import check_template_samples

    checked = check_template_samples(config_from(args), args.templates)
    for error in checked.errors:
        err(str(error))
    out(
        f"checked {checked.files} sample file(s) of {checked.templates} template(s): "
        + (f"{len(checked.errors)} problem(s)" if checked.errors else "all valid")
    )
    return exit_status(bool(checked.errors))
