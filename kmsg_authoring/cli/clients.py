"""`kmsg-author clients`: the mail clients of the Can I email data, and which ones the project targets."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "clients",
        help="list the known mail clients and which the project targets",
        description=(
            "List every mail client and platform of the Can I email data as family.platform (the names "
            "`[lint] clients` globs select, e.g. \"gmail.*\", \"outlook.windows\"), marking with * the "
            "ones the project targets (or a template, given its slug)."
        ),
    )
    p.add_argument("template", nargs="?", metavar="TEMPLATE", help="show the targets of this template")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.errors import EXIT_OK
    from kmsg_authoring.lint.caniemail import DEFAULT_CLIENTS, load
    from kmsg_authoring.lint.settings import resolve_clients

    config = config_from(args)
    template_lint = None
    meta = None
    if args.template:
        from kmsg_authoring.build import resolve_slugs
        from kmsg_authoring.source.project import TEMPLATE_FILE, load_yaml, read_text

        slug = resolve_slugs(config, [args.template])[0]
        rel = config.rel(config.src_dir / slug / TEMPLATE_FILE)
        meta = load_yaml(read_text(config.src_dir / slug / TEMPLATE_FILE, rel, root=config.root), rel)
        kmsg = meta.data.get("kmsg") if isinstance(meta.data, dict) else None
        template_lint = kmsg.get("lint") if isinstance(kmsg, dict) else None
    chosen = set(resolve_clients(config.lint, template_lint, meta))
    data = load()
    source = ("the template's kmsg.lint.clients" if isinstance(template_lint, dict) and "clients" in template_lint
              else "[lint] clients in kmsg.toml" if "clients" in config.lint else "the default list")
    for client, name in data.clients.items():
        out(f"{'*' if client in chosen else ' '} {client:<30} {name}")
    out(f"\n{len(chosen)} of {len(data.clients)} clients targeted (*), from {source}; "
        f"the default is {', '.join(DEFAULT_CLIENTS)}")
    return EXIT_OK
