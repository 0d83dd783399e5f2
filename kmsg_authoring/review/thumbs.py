"""Snapshots for the live preview: a thumbnail per template, and its changes against the last snapshot.

The live preview re-snapshots each template it rebuilds, in Chromium, in a background thread that
owns the browser for the whole session, into build/preview-snapshots/. The baseline is the folder
`kmsg-author snapshot` last wrote (build/snapshots/ or [snapshot] out): each rebuilt template's
images are compared with it. Without the browser extra the preview still shows the baseline's
images, and says what to install for live ones.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from kmsg_authoring.review.compare import CHANGED, UNCHANGED, Comparison, compare_sets
from kmsg_authoring.review.snapshot import default_out, read_manifest

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config

LIVE_DIR = "preview-snapshots"  # under the build folder
LIVE, BASE = "live", "base"  # URL segments: /snapshots/live/..., /snapshots/base/...


def _first(manifest: Mapping[str, Mapping[str, Any]], slug: str) -> Mapping[str, Any] | None:
    """The image a template's thumbnail shows: its first recipient, widest width, light, Chromium first."""
    mine = [v for v in manifest.values() if v.get("template") == slug]
    if not mine:
        return None
    return min(
        mine,
        key=lambda v: (
            str(v.get("file")).split("/")[1:3],
            -int(v.get("width") or 0),
            v.get("scheme") != "light",
            v.get("engine") != "chromium",
        ),
    )


class Thumbnails:
    """Live snapshots of the templates the preview rebuilds, and their comparison with the baseline."""

    def __init__(
        self,
        config: Config,
        *,
        on_done: Callable[[set[str]], None] | None = None,
        engine_names: Iterable[str] = ("chromium",),
    ) -> None:
        self.config = config
        self.live_dir = config.build_dir / LIVE_DIR
        self.base_dir = default_out(config)
        self.on_done = on_done
        self.engine_names = tuple(engine_names)
        self.error: str | None = None  # why live snapshots are off (a missing browser)
        self.changes: dict[str, Comparison] = {}
        self._queue: queue.Queue[set[str] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- what the pages show ------------------------------------------------------------------------
    def folder(self, which: str) -> Path | None:
        """The folder behind a URL segment."""
        return {LIVE: self.live_dir, BASE: self.base_dir}.get(which)

    def thumbnail(self, slug: str) -> str | None:
        """URL of a template's thumbnail: the live snapshot, else the baseline's, else None."""
        for which in (LIVE, BASE):
            folder = self.folder(which)
            entry = _first(read_manifest(folder), slug) if folder is not None else None
            if entry is not None and (folder / str(entry["file"])).is_file():  # type: ignore[operator]
                return f"/snapshots/{which}/{quote(str(entry['file']))}"
        return None

    def changes_panel(self, slug: str) -> str | None:
        """HTML of a template's Changes view, or None when there is no baseline to compare with."""
        with self._lock:
            comparison = self.changes.get(slug)
        has_base = any(v.get("template") == slug for v in read_manifest(self.base_dir).values())
        if not has_base:
            return None
        if comparison is None:
            note = self.error or "Taking snapshots of this template..."
            return f'<p class="muted">{escape(note)}</p>'
        return changes_html(comparison)

    # -- the worker ------------------------------------------------------------------------------------
    def start(self) -> None:
        """Start the worker thread (it opens the browser on its first job)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="kmsg-preview-snapshots", daemon=True)
            self._thread.start()

    def refresh(self, slugs: Iterable[str]) -> None:
        """Re-snapshot these templates in the background."""
        wanted = set(slugs)
        if wanted and self.error is None:
            self.start()
            self._queue.put(wanted)

    def stop(self) -> None:
        """Stop the worker and its browser; snapshots asked for and not yet begun are dropped, so
        stopping waits for the one being taken at most."""
        if self._thread is not None:
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    break
                self._queue.task_done()
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def wait_idle(self) -> None:
        """Block until every requested snapshot is taken (for tests and scripts)."""
        if self._thread is not None:
            self._queue.join()

    def _work(self) -> None:
        from kmsg_authoring.review.browser import BrowserMissing
        from kmsg_authoring.review.engines import Engines
        from kmsg_authoring.review.snapshot import take_snapshots
        from kmsg_authoring.source.project import discover

        engines = Engines(self.engine_names)
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    self._queue.task_done()
                    return
                slugs, taken = set(item), 1
                while True:  # saves come in bursts: take what is queued in one go
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    taken += 1
                    if more is None:
                        self._queue.put(None)
                        break
                    slugs |= more
                try:
                    self._snapshot(slugs & set(discover(self.config.src_dir)), engines, take_snapshots, BrowserMissing)
                finally:
                    for _ in range(taken):
                        self._queue.task_done()
        finally:
            engines.close()

    def _snapshot(self, slugs: set[str], engines: Any, take: Any, missing: type[Exception]) -> None:
        if not slugs or self.error is not None:
            return
        try:
            # The build cache is left to the commands: the preview compiles in memory, as its builder does.
            take(self.config, sorted(slugs), out_dir=self.live_dir, engines=engines, build_cache=False)
            found = compare_sets(self.base_dir, self.live_dir, out_dir=self.live_dir, templates=slugs)
        except missing as exc:
            self.error = f"Live snapshots are off: {exc}"
            return
        except Exception as exc:  # noqa: BLE001 - the preview outlives its snapshots, and says why they stopped
            self.error = f"Live snapshots failed: {type(exc).__name__}: {exc}"
            return
        with self._lock:
            for slug in slugs:
                self.changes[slug] = Comparison(
                    found.before_dir,
                    found.after_dir,
                    found.threshold,
                    [c for c in found.changes if c.entry.get("template") == slug],
                )
        if self.on_done is not None:
            self.on_done(slugs)


def changes_html(comparison: Comparison) -> str:
    """The Changes view: each image of the template against the baseline, before, after and difference."""
    if not comparison.changes:
        return '<p class="muted">No snapshots to compare.</p>'
    rows = []
    for change in comparison.changes:
        e = change.entry
        what = (
            f"{e.get('recipient')} &middot; {e.get('width')} px &middot; {e.get('scheme')} &middot; {e.get('engine')}"
        )
        detail = ""
        if change.status == CHANGED and change.diff is not None and change.diff.bbox is not None:
            x, y, w, h = change.diff.bbox
            detail = f" &middot; {change.diff.share * 100:.2f}% of pixels, region {w}&times;{h} at ({x}, {y})"
        before = (
            f'<img src="/snapshots/{BASE}/{quote(str(change.before["file"]))}" alt="before">'
            if change.before
            else '<span class="muted">none</span>'
        )
        after = (
            f'<img src="/snapshots/{LIVE}/{quote(str(change.after["file"]))}" alt="after">'
            if change.after
            else '<span class="muted">none</span>'
        )
        diff = (
            f'<img src="/snapshots/{LIVE}/{quote(change.diff_file)}" alt="difference">'
            if change.diff_file
            else '<span class="muted">no difference</span>'
        )
        rows.append(
            f'<div class="change status-{change.status}" data-status="{change.status}">'
            f'<h3><span class="badge">{change.status}</span> {what}{detail}</h3>'
            f'<div class="trio"><figure><figcaption>last snapshot</figcaption>{before}</figure>'
            f"<figure><figcaption>now</figcaption>{after}</figure>"
            f"<figure><figcaption>difference</figcaption>{diff}</figure></div></div>"
        )
    changed = sum(1 for c in comparison.changes if c.status != UNCHANGED)
    return (
        f'<p class="muted">{changed} of {len(comparison.changes)} image(s) differ from the last '
        f"<code>kmsg-author snapshot</code>.</p>" + "".join(rows)
    )
