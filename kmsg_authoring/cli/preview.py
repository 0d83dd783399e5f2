"""`kmsg-author preview`: render a template for each recipient of a sample, once or live."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from kmsg_authoring.cli._args import PORT
from kmsg_authoring.errors import EXIT_OK, exit_status
from kmsg_authoring.model import PREVIEW_PORT

if TYPE_CHECKING:
    from collections.abc import Callable

    from kmsg_authoring.preview.site import Rebuilt
    from kmsg_authoring.source.config import Config


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the preview command."""
    p = sub.add_parser(
        "preview",
        help="render templates as recipients receive them (files, or a live-reloading server)",
        description=(
            "Resolve every token of a template per recipient, using samples/<name>.yaml (users and "
            "msgParams, as in message/send; without a sample file one is made from the declared token "
            "types). One-shot: `preview SLUG` writes one HTML file per recipient, exactly the email, "
            "plus index.html with subject, from and to, into preview-out/SLUG/ (or --out); `preview --all` "
            "does so for every template, into preview-out/<slug>/ with an index.html linking them. Live: "
            "`preview --watch` serves every template on 127.0.0.1, rebuilds the templates a saved file "
            "affects, reloads open pages by themselves and prints a line per rebuild with each error. "
            "Exit 0 when every token resolved, 1 when some did not or a template failed, 2 for usage or "
            "configuration errors."
        ),
    )
    p.add_argument(
        "template", nargs="?", metavar="SLUG", help="the template to render (with --watch: the page to open)"
    )
    p.add_argument("--all", action="store_true", help="export every template (one-shot), each into its own folder")
    p.add_argument("--sample", metavar="NAME", help="sample file samples/NAME.yaml (default: default, else the first)")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder for the one-shot files (default: preview-out/SLUG, or preview-out/ with --all)",
    )
    p.add_argument("--watch", action="store_true", help="serve a live preview and rebuild on every save")
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to serve on (default 127.0.0.1; widen it only on a trusted network)",
    )
    p.add_argument(
        "--port",
        type=PORT,
        default=PREVIEW_PORT,
        help=f"port to serve on (default {PREVIEW_PORT}; 0 picks a free one)",
    )
    p.add_argument("--open", action="store_true", help="open the preview in the default browser")
    p.add_argument(
        "--no-snapshots",
        action="store_true",
        help="with --watch: no live snapshots (thumbnails and the Changes view use a browser; "
        "they need pip install 'kmsg-author[browser]')",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the preview command."""
    from kmsg_authoring.cli._common import config_from
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.source.config import CONFIG_FILE

    config = config_from(args)
    if not (config.root / CONFIG_FILE).is_file() and not config.src_dir.is_dir():
        # Not a project: nothing to preview, and nothing is written here.
        raise UsageError(
            f"{config.root} is not a kmsg-author project (no {CONFIG_FILE} here or above, no "
            f"{config.rel(config.src_dir)}/); run it in a project, pass -C PROJECT, or make one with `kmsg-author init`"
        )
    if args.template and not args.all:
        from kmsg_authoring.source.targets import template_doc

        template_doc(config, args.template)  # an unknown template is an error, not a page that answers 404
    if args.watch:
        if args.out or args.sample or args.all:
            raise UsageError(
                "--out, --sample and --all are for one-shot previews; the live preview offers every template and sample"
            )
        return _watch(config, args)
    if args.all:
        if args.template:
            raise UsageError("name a template or pass --all, not both")
        return _all(config, args)
    if not args.template:
        raise UsageError(
            "name a template (kmsg-author preview SLUG), pass --all to export every template, "
            "or --watch for the live preview"
        )
    return _once(config, args)


def _all(config: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from kmsg_authoring.cli._common import err, out
    from kmsg_authoring.preview.export import export_all

    result = export_all(config, sample=args.sample, out_dir=Path(args.out) if args.out else None)
    for export in result.exports:
        for location, user_id, item in export.unresolved:
            err(f"{location}: unresolved {item.raw} for {user_id}: {item.reason}")
    for slug, exc in result.failures.items():
        err(f"{exc}" if exc.location else f"{slug}: {exc}")
    files = sum(len(e.files) for e in result.exports)
    out(
        f"wrote {files} preview(s) of {len(result.exports)} template(s) and {config.rel(result.index)}"
        + (f"; {len(result.failures)} failed" if result.failures else "")
    )
    return exit_status(bool(result.failures) or any(e.unresolved for e in result.exports))


def _once(config: Config, args: argparse.Namespace) -> int:
    from pathlib import Path

    from kmsg_authoring.cli._common import err, out
    from kmsg_authoring.preview.export import export_preview

    result = export_preview(config, args.template, sample=args.sample, out_dir=Path(args.out) if args.out else None)
    for location, user_id, item in result.unresolved:
        err(f"{location}: unresolved {item.raw} for {user_id}: {item.reason}")
    out(
        f"wrote {len(result.files)} preview(s) of {args.template} (sample {result.sample}) "
        f"and {config.rel(result.index)}"
    )
    return exit_status(bool(result.unresolved))


def _watch(config: Config, args: argparse.Namespace) -> int:
    import sys
    import threading
    import time
    import webbrowser
    from urllib.parse import quote

    from kmsg_authoring.cli._common import out
    from kmsg_authoring.compile.mjml_run import isolate_always
    from kmsg_authoring.preview.server import start_live_preview

    isolate_always()  # a crash of MJML's native compiler is a build error here, never the server's end
    live = start_live_preview(
        config,
        host=args.host,
        port=args.port,
        snapshots=not args.no_snapshots,
        on_rebuild=_rebuilt_printer(),
        on_error=lambda text: print(f"{time.strftime('%H:%M:%S')} {text}", file=sys.stderr, flush=True),
    )
    url = live.url + (f"t/{quote(args.template)}" if args.template else "")
    out(f"Previewing {len(live.site.templates)} template(s) at {url} (Ctrl-C to stop)")
    if args.open:
        webbrowser.open(url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        out("stopped")
    finally:
        live.stop()
    return EXIT_OK


def _rebuilt_printer() -> Callable[[Rebuilt], None]:
    """A callback printing one line per rebuild round, then each error at its location."""
    import sys
    import time

    from kmsg_authoring.lint.formats.text_format import line
    from kmsg_authoring.lint.report import plural

    def printed(event: Rebuilt) -> None:
        stamp = time.strftime("%H:%M:%S")
        if event.crashed:
            print(f"{stamp} {event.crashed}", flush=True)
            return
        names = ", ".join(event.slugs) if len(event.slugs) <= 3 else plural(len(event.slugs), "template")
        status = plural(event.errors, "error") if event.errors else "no errors"
        print(f"{stamp} rebuilt {names} in {event.seconds:.2f}s: {status}", file=sys.stdout)
        for problem in event.problems:
            print(f"  {line(problem)}", file=sys.stdout)
        sys.stdout.flush()

    return printed
