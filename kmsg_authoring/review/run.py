"""`kmsg-author snapshot` as a library call: snapshot, optionally compare with a baseline, write the report."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.errors import EXIT_FAILURE, EXIT_OK, UsageError
from kmsg_authoring.review.baseline import copy_snapshot_folder, is_snapshot_folder, snapshot_revision
from kmsg_authoring.review.compare import ADDED, DIFF_DIR, Comparison, ImageChange, compare_sets
from kmsg_authoring.review.engines import Engines
from kmsg_authoring.review.report import write_report
from kmsg_authoring.review.snapshot import (
    SnapshotResult,
    default_out,
    read_manifest,
    snapshot_settings,
    take_snapshots,
)

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

BASELINE_DIR = "_baseline"  # "_" cannot start a template slug


@dataclass
class Review:
    """A snapshot run: the images, their comparison with the baseline (if any) and the report."""

    snapshot: SnapshotResult
    comparison: Comparison
    report: Path
    baseline: str | None

    @property
    def exit_code(self) -> int:
        """1 when templates failed, or a comparison found changes; else 0."""
        if self.snapshot.failures:
            return EXIT_FAILURE
        return self.comparison.exit_code if self.baseline is not None else EXIT_OK


def snapshot_review(
    config: Config,
    slugs: Sequence[str] | None = None,
    *,
    out_dir: Path | None = None,
    compare: str | None = None,
    threshold: float = 0.0,
    engine_names: Sequence[str] | None = None,
    widths: Sequence[int] | None = None,
    schemes: Sequence[str] | None = None,
    use_cache: bool = True,
    progress: Callable[[str], None] | None = None,
    engines: Engines | None = None,
) -> Review:
    """Snapshot templates into out_dir; with compare (a snapshot folder or Git revision), compare and report."""
    settings = snapshot_settings(config)
    if not slugs:
        from kmsg_authoring.source.project import discover

        if not discover(config.src_dir):
            raise UsageError(f"no templates in {config.rel(config.src_dir)}/ (create one with `kmsg-author new SLUG`)")
    out = (out_dir if out_dir is not None else default_out(config)).resolve()
    names = tuple(engine_names or settings.engines)
    widths = tuple(widths or settings.widths)
    schemes = tuple(schemes or settings.schemes)
    runner = engines if engines is not None else Engines(names)
    base_dir = out / BASELINE_DIR
    try:
        runner.check()
        if compare is not None:
            candidate = Path(compare)
            if candidate.is_dir():
                if not is_snapshot_folder(candidate):
                    raise UsageError(f"{compare} is a folder without a snapshot manifest.json")
                copy_snapshot_folder(candidate, base_dir)
            else:
                snapshot_revision(
                    config,
                    compare,
                    base_dir,
                    slugs=slugs,
                    engines=runner,
                    widths=widths,
                    schemes=schemes,
                    progress=progress,
                )
        result = take_snapshots(
            config,
            slugs,
            out_dir=out,
            widths=widths,
            schemes=schemes,
            engines=runner,
            use_cache=use_cache,
            progress=progress,
        )
    finally:
        if engines is None:
            runner.close()
    templates = set(result.templates) if slugs else None
    shutil.rmtree(out / DIFF_DIR, ignore_errors=True)
    if compare is not None:
        comparison = compare_sets(base_dir, out, out_dir=out, threshold=threshold, templates=templates)
    else:
        current = {k: v for k, v in read_manifest(out).items() if templates is None or v.get("template") in templates}
        comparison = Comparison(
            out, out, threshold, [ImageChange(k, ADDED, None, v) for k, v in sorted(current.items())]
        )
    report = write_report(comparison, out, baseline_label=compare)
    return Review(result, comparison, report, compare)
