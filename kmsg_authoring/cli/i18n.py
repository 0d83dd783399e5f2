"""`kmsg-author i18n extract|update|status`: the translator workflow over gettext PO catalogs."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kmsg_authoring.errors import EXIT_OK


def register(subparsers: Any) -> None:
    """Add the i18n command and its subcommands."""
    parser = subparsers.add_parser(
        "i18n",
        help="extract messages, update the locale catalogs, show translation status",
        description=(
            "Messages are written in the sources with Jinja's i18n syntax ({% trans %}...{% endtrans %}, "
            '{{ _("...") }}, plurals with {% pluralize %}); send-time tokens stay as they are. '
            "`extract` writes templates_src/_locales/messages.pot with Babel; `update` merges it into "
            "templates_src/_locales/<locale>/LC_MESSAGES/messages.po for every locale of [i18n] in "
            "kmsg.toml (new messages untranslated, translations kept); `status` counts translated, fuzzy "
            "and missing messages per locale. Exit 0 on success, 2 for usage or configuration errors."
        ),
    )
    sub = parser.add_subparsers(dest="i18n_command", metavar="SUBCOMMAND", required=True)
    sub.add_parser("extract", help="write templates_src/_locales/messages.pot from the sources").set_defaults(
        func=run_extract
    )
    sub.add_parser("update", help="merge messages.pot into every locale's messages.po").set_defaults(func=run_update)
    status = sub.add_parser("status", help="translated, fuzzy and missing messages per locale")
    status.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    status.set_defaults(func=run_status)


def run_extract(args: argparse.Namespace) -> int:
    """Write the .pot."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.compile.catalogs import extract_template

    change = extract_template(config_from(args))
    state = "written" if change.written else "unchanged"
    out(f"{change.path}: {change.messages} message(s), {state}")
    return EXIT_OK


def run_update(args: argparse.Namespace) -> int:
    """Merge the .pot into every catalog."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.compile.catalogs import update_catalogs

    for change in update_catalogs(config_from(args)):
        state = "written" if change.written else "unchanged"
        added = f", {len(change.added)} new (untranslated)" if change.added else ""
        out(f"{change.path}: {change.messages} message(s){added}, {state}")
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    """Print the translation status of every locale."""
    from kmsg_authoring.cli._common import config_from, out
    from kmsg_authoring.compile.catalogs import translation_status

    rows = translation_status(config_from(args))
    if args.format == "json":
        out(json.dumps({"locales": [r.to_json() for r in rows]}, indent=2, ensure_ascii=False))
        return EXIT_OK
    for r in rows:
        note = " (default locale: the sources)" if r.default else ""
        out(f"{r.locale:<8} {r.translated}/{r.total} translated, {r.fuzzy} fuzzy, {r.missing} missing{note}")
    return EXIT_OK
