"""`kmsg-author sandbox`: run a local Messaging API to publish, pull and send test messages against."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from kmsg_authoring.cli._args import PORT, whole_number
from kmsg_authoring.errors import EXIT_OK
from kmsg_authoring.model import CONFIG_FILE, SANDBOX_PORT, SANDBOX_URL


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (got {text})")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sandbox",
        help="run a local Messaging API (templates, sends, an outbox page) to test against",
        description=(
            "Serve the Messaging API endpoints the toolkit calls (email-template/add|get|update|list|delete, "
            "message/send|list|stats, unsubscribe-uri/*) on this machine over real HTTP, with the semantics "
            "of the API guide: Bearer KS required, objects scoped to the KS's partner, versions and "
            "timestamps, list filters and pager. State lives in an SQLite file, so it survives a restart. "
            "message/send renders each recipient's message; see them at /outbox in a browser. Faults "
            "(5xx answers, dropped connections, latency) can be injected to test retries. Runs until Ctrl-C."
        ),
        epilog=(
            f'Point an environment at it in {CONFIG_FILE} with url = "{SANDBOX_URL}" and export '
            "the development KS it prints. Example with faults: kmsg-author sandbox --error-rate 0.3 "
            "--drop-rate 0.1 --latency-ms 50 --seed 7"
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument(
        "--port",
        type=PORT,
        default=SANDBOX_PORT,
        help=f"port to listen on; 0 picks a free one (default: {SANDBOX_PORT})",
    )
    p.add_argument(
        "--db",
        default="sandbox.sqlite",
        metavar="FILE",
        help="SQLite file holding the sandbox's state (default: sandbox.sqlite in the current folder)",
    )
    p.add_argument(
        "--partner-id",
        type=whole_number(0),
        default=1,
        metavar="N",
        help="partner id of the development KS printed at start (default: 1); any KS naming "
        "another partner works too, with its own objects",
    )
    faults = p.add_argument_group("injected faults")
    faults.add_argument(
        "--error-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of API requests answered with a 5xx before processing, 0 to 1",
    )
    faults.add_argument(
        "--drop-rate",
        type=_rate,
        default=0.0,
        metavar="RATE",
        help="share of the other API requests whose connection is closed with no answer, 0 to 1",
    )
    faults.add_argument(
        "--no-drop-after-write",
        dest="drop_after_write",
        action="store_false",
        help="drop connections only before processing (by default half of the dropped writes "
        "are dropped after they committed, an ambiguous failure)",
    )
    faults.add_argument(
        "--latency-ms", type=whole_number(0), default=0, metavar="MS", help="milliseconds added to every API request"
    )
    faults.add_argument("--seed", type=int, default=None, metavar="N", help="makes the faults reproducible")
    p.add_argument(
        "--delivery-delay",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="sent messages stay 'sending' at least this long (default: 0, delivered on the next "
        "message/list or message/stats call)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="do not print a line per request")
    p.set_defaults(func=run)


def _stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from kmsg_authoring.cli._common import err, out
    from kmsg_authoring.sandbox import Faults, Sandbox, make_ks

    faults = Faults(
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        drop_after_write=args.drop_after_write,
        latency_ms=args.latency_ms,
        seed=args.seed,
    )

    def log(method: str, path: str, status: int, ms: float) -> None:
        # Method, path and outcome only: headers (the KS) and bodies are never shown.
        err(f"{method} {path} -> {status or 'dropped'} ({ms:.0f} ms)")

    sandbox = Sandbox(
        args.db,
        host=args.host,
        port=args.port,
        faults=faults,
        settle_delay=args.delivery_delay,
        on_request=None if args.quiet else log,
    )
    try:
        out(f"kmsg-author sandbox: Messaging API at {sandbox.url}")
        out(f"  outbox:    {sandbox.outbox_url}")
        out(f"  database:  {args.db}")
        if faults.active:
            out(
                f"  faults:    error rate {faults.error_rate}, drop rate {faults.drop_rate}"
                f"{' (some after the write)' if faults.drop_after_write and faults.drop_rate else ''}, "
                f"latency {faults.latency_ms} ms, seed {faults.seed}"
            )
        out("")
        out("Add to kmsg.toml (any app_guid works here):")
        out("  [environments.sandbox]")
        out(f'  url = "{sandbox.url}"')
        out('  app_guid = "sandbox-app"')
        out('  ks_env = "KALTURA_KS"')
        out(f"and export a development KS (partner {args.partner_id}):")
        out(f"  export KALTURA_KS={make_ks(args.partner_id)}")
        out("")
        # SIGTERM (a CI job ending, `kill`) stops as cleanly as Ctrl-C; signals reach the main thread only.
        # The handler is in place before the ready line, so a SIGTERM sent on seeing it is handled.
        main = threading.current_thread() is threading.main_thread()
        previous = signal.signal(signal.SIGTERM, _stop_on_sigterm) if main else None
        try:
            out("Press Ctrl-C to stop.")
            sys.stdout.flush()
            sandbox.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
    finally:
        sandbox.stop()
    out("kmsg-author sandbox: stopped")
    return EXIT_OK
