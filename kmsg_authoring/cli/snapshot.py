"""`kmsg-author snapshot`: PNGs of every email in real browser engines; compare with a baseline."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the snapshot command."""
    p = sub.add_parser(
        "snapshot",
        help="screenshot every email per recipient, width, colour scheme and engine; compare with a baseline",
        description=(
            "Render each template for every recipient of its samples (tokens resolved as in the preview) "
            "and take a full-height PNG per width (600 and 375 px unless [snapshot] widths in kmsg.toml "
            "says otherwise), colour scheme (light, dark) and engine (chromium by default; webkit and "
            "firefox too with --engine), with the network blocked and remote images shown as neutral "
            "boxes of their declared size. Images go to build/snapshots/ (or --out) with manifest.json; "
            "an email whose HTML did not change is not rendered again. --compare BASELINE (a snapshot "
            "folder or a Git revision such as origin/main, built from a temporary worktree) reports each "
            "image unchanged, changed (share of pixels and region), added or removed, and writes "
            "report.html beside the images. Exit 0 when nothing changed, 1 when something changed beyond "
            "--threshold or a template failed, 2 for usage errors or a missing browser "
            "(pip install 'kmsg-author[browser]')."
        ),
    )
    p.add_argument(
        "templates", nargs="*", metavar="TEMPLATE", help="template slugs or folders (default: every template)"
    )
    p.add_argument("--out", metavar="DIR", help="snapshot folder (default: build/snapshots, or [snapshot] out)")
    p.add_argument(
        "--engine",
        metavar="LIST",
        help="comma-separated engines: chromium, webkit, firefox (default: [snapshot] engines, else chromium); "
        "outlook-approx: an approximation of Outlook for Windows (what Word ignores removed, from the Can I "
        "email data, in Chromium at the reading pane's width), with the removed CSS listed beside the images",
    )
    p.add_argument(
        "--width", metavar="LIST", help="comma-separated widths in px (default: [snapshot] widths, else 600,375)"
    )
    p.add_argument("--scheme", metavar="LIST", help="comma-separated colour schemes: light, dark (default: both)")
    p.add_argument("--compare", metavar="BASELINE", help="a snapshot folder or a Git revision to compare with")
    p.add_argument(
        "--threshold",
        metavar="SHARE",
        default="0",
        help="share of pixels an image may change and still count as unchanged: 0.001 or 0.1%% "
        "(default 0: any changed pixel)",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="text (default), json (the comparison, for CI) or markdown (a pull-request comment "
        "with thumbnails of the differences)",
    )
    p.add_argument(
        "--image-url",
        metavar="URL",
        default="",
        help="with --format markdown: the URL the output folder's images are published at",
    )
    p.add_argument("--no-cache", action="store_true", help="render every image again, even unchanged ones")
    p.set_defaults(func=run)


def _ints(text: str) -> list[int]:
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.review.snapshot import MAX_WIDTH, MIN_WIDTH

    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        values = []
    if not values or not all(MIN_WIDTH <= v <= MAX_WIDTH for v in values):
        raise UsageError(f"--width '{text}' must be pixel widths from {MIN_WIDTH} to {MAX_WIDTH}, such as 600,375")
    return values


def _schemes(text: str) -> list[str]:
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.review.schemes import SCHEMES

    values = [v.strip().lower() for v in text.split(",") if v.strip()]
    if not values or not all(v in SCHEMES for v in values):
        raise UsageError(f"--scheme '{text}' must name colour schemes: {', '.join(SCHEMES)}")
    return values


def run(args: argparse.Namespace) -> int:
    """Run the snapshot command."""
    import sys
    from pathlib import Path

    from kmsg_authoring.cli._common import config_from, err, out
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.review.compare import CHANGED, UNCHANGED, parse_threshold
    from kmsg_authoring.review.engines import parse_engines
    from kmsg_authoring.review.run import snapshot_review

    config = config_from(args)
    try:
        threshold = parse_threshold(args.threshold)
    except ValueError as exc:
        raise UsageError(f"--threshold {exc}") from None
    engines = parse_engines(args.engine) if args.engine else None
    done = [0]

    def progress(key: str) -> None:
        done[0] += 1
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{done[0]} image(s) rendered")
            sys.stderr.flush()

    review = snapshot_review(
        config,
        args.templates or None,
        out_dir=Path(args.out) if args.out else None,
        compare=args.compare,
        threshold=threshold,
        engine_names=engines,
        widths=_ints(args.width) if args.width else None,
        schemes=_schemes(args.scheme) if args.scheme else None,
        use_cache=not args.no_cache,
        progress=progress,
    )
    if done[0] and sys.stderr.isatty():
        sys.stderr.write("\n")
    snap = review.snapshot
    for slug, errors in sorted(snap.failures.items()):
        for e in errors:
            err(f"{e} (template {slug} has no snapshots)" if e.location else f"{slug}: {e}")
    for location, user_id, item in snap.unresolved:
        err(f"{location}: unresolved {item.raw} for {user_id}: {item.reason}")
    folder = config.rel(snap.out_dir)
    if args.format == "json":
        sys.stdout.write(review.comparison.to_json())
    elif args.format == "markdown":
        from kmsg_authoring.review.compare import markdown_summary

        sys.stdout.write(markdown_summary(review.comparison, image_url=args.image_url, baseline=args.compare or ""))
    else:
        out(
            f"{len(snap.images)} snapshot(s) in {folder}/ ({len(snap.rendered)} rendered, "
            f"{len(snap.reused)} unchanged HTML kept)"
        )
        if review.baseline is not None:
            for change in review.comparison.changes:
                if change.status == UNCHANGED:
                    continue
                detail = ""
                if change.status == CHANGED and change.diff is not None and change.diff.bbox is not None:
                    x, y, w, h = change.diff.bbox
                    detail = f" ({change.diff.share * 100:.2f}% of pixels, region {w}x{h} at {x},{y})"
                out(f"{change.status:8} {change.key}{detail}")
            out(f"{review.comparison.summary()} against {review.baseline}")
        if snap.outlook_removed:
            from kmsg_authoring.review.outlook import LABEL

            for slug, items in sorted(snap.outlook_removed.items()):
                out(
                    f"{LABEL}: {slug} loses {len(items)} CSS use(s) in Outlook for Windows; "
                    f"listed in {folder}/{slug}/outlook-approx-removed.txt"
                )
        out(f"report: {config.rel(review.report)}")
    return review.exit_code
