"""`kmsg-author init [DIR]`: start a project."""

from __future__ import annotations

import argparse

from kmsg_authoring.errors import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the init command."""
    p = sub.add_parser(
        "init",
        help="create a project: kmsg.toml, a layout, an example template, .gitignore, pre-commit",
        description=(
            "Create a kmsg-author project in DIR (default: the current folder; made if missing): kmsg.toml "
            "with a commented environment, templates_src/ with a layout and an example template with a "
            "sample, a .gitignore for build/ and preview-out/, and a .pre-commit-config.yaml running "
            "`kmsg-author lint`. It builds, lints and previews clean as it is. Refuses, writing nothing, "
            "when any of these files exists."
        ),
    )
    p.add_argument("dir", nargs="?", default=".", metavar="DIR", help="folder of the new project (default: .)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Create the project and list what was written."""
    from pathlib import Path

    from kmsg_authoring.cli._common import out
    from kmsg_authoring.source.scaffold import init_project

    root = Path(args.dir)
    for rel in init_project(root):
        out(f"created {root / rel if args.dir != '.' else rel}")
    where = f"cd {args.dir} && " if args.dir != "." else ""
    out(f"next: {where}kmsg-author build && kmsg-author lint && kmsg-author preview --all")
    return EXIT_OK
