"""Command-line arguments in, output and an exit code out: argument parsing and dispatch only.

Each command lives in its own small module of this package with `register(subparsers)`, which
adds its parser and sets `func` to a `run(args) -> int`. Command modules import only argparse at
top level, so `kmsg-author lint` in a pre-commit hook does not pay for the preview server or the
HTTP stack.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kmsg_authoring import __version__
from kmsg_authoring.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, KmsgError

# Order is the order of `kmsg-author --help`.
COMMANDS: tuple[str, ...] = (
    "init",
    "build",
    "lint",
    "rules",
    "clients",
    "compat",
    "preview",
    "samples",
    "new",
    "schema",
    "plan",
    "publish",
    "pull",
    "send_test",
    "sandbox",
    "snapshot",
    "a11y",
    "spam",
    "links",
    "contract",
    "check_params",
    "i18n",
    "ids",
)


def _requested(argv: Sequence[str]) -> str | None:
    """The command module argv asks for, if it names a known one."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("-C", "--project")
    _, rest = pre.parse_known_args(argv)
    name = rest[0].replace("-", "_") if rest and not rest[0].startswith("-") else None
    return name if name in COMMANDS else None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The top-level parser: with argv naming a command, only that one is registered (start-up time
    matters in a pre-commit hook); otherwise every command, for --help and usage errors."""
    parser = argparse.ArgumentParser(
        prog="kmsg-author",
        description=(
            "Author, validate, preview and publish Kaltura Messaging API email templates. "
            "Run a command with --help for its options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"kmsg-author {__version__}")
    parser.add_argument(
        "-C",
        "--project",
        metavar="DIR",
        default=None,
        help="project folder (default: the nearest folder with kmsg.toml, else the current one)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    requested = _requested(argv) if argv is not None else None
    for name in (requested,) if requested else COMMANDS:
        try:
            module = importlib.import_module(f"kmsg_authoring.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"kmsg_authoring.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run kmsg-author; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits on --help and on usage errors
        return int(exc.code or EXIT_OK)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except KmsgError as exc:
        print(f"kmsg-author: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("kmsg-author: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except ImportError as exc:
        # A broken install: the command cannot do its checks, so it fails, in one line.
        print(f"kmsg-author: part of kmsg-author cannot be loaded ({exc}); reinstall it", file=sys.stderr)
        return EXIT_FAILURE
    except BrokenPipeError:
        return EXIT_FAILURE
