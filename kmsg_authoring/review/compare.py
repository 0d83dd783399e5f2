"""Compare two snapshot sets image by image: unchanged, changed (how much and where), added, removed.

Pixels are compared with numpy on the decoded images; two images of different sizes are compared
on the canvas that holds both, where the part only one of them covers counts as changed. A
highlighted difference image is written for every changed image.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmsg_authoring.errors import exit_status
from kmsg_authoring.review.snapshot import read_manifest

UNCHANGED, CHANGED, ADDED, REMOVED = "unchanged", "changed", "added", "removed"
STATUSES: tuple[str, ...] = (CHANGED, ADDED, REMOVED, UNCHANGED)
DIFF_DIR = "_diff"  # "_" cannot start a template slug, so it never meets a template folder
HIGHLIGHT = (230, 0, 80)
BOX = (255, 140, 0)
JSON_VERSION = 1


@dataclass(frozen=True)
class PixelDiff:
    """How two images differ: the share of pixels that changed and the box around them."""

    changed_pixels: int
    total_pixels: int
    bbox: tuple[int, int, int, int] | None  # x, y, width, height

    @property
    def share(self) -> float:
        """Changed pixels over all pixels of the common canvas."""
        return self.changed_pixels / self.total_pixels if self.total_pixels else 0.0


@dataclass(frozen=True)
class ImageChange:
    """One image of either set and what happened to it."""

    key: str
    status: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    diff: PixelDiff | None = None
    diff_file: str | None = None  # the highlighted difference, relative to the output folder

    @property
    def entry(self) -> Mapping[str, Any]:
        """The manifest entry that describes the image (after, else before)."""
        return self.after or self.before or {}

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping (`snapshot --compare --format json`)."""
        e = self.entry
        doc: dict[str, Any] = {
            "key": self.key,
            "status": self.status,
            "template": e.get("template"),
            "sample": e.get("sample"),
            "recipient": e.get("recipient"),
            "width": e.get("width"),
            "scheme": e.get("scheme"),
            "engine": e.get("engine"),
            "before": self.before.get("file") if self.before else None,
            "after": self.after.get("file") if self.after else None,
        }
        if self.diff is not None:
            doc["changedPixels"] = self.diff.changed_pixels
            doc["share"] = round(self.diff.share, 6)
            doc["bbox"] = (
                {
                    "x": self.diff.bbox[0],
                    "y": self.diff.bbox[1],
                    "width": self.diff.bbox[2],
                    "height": self.diff.bbox[3],
                }
                if self.diff.bbox
                else None
            )
            doc["diff"] = self.diff_file
        return doc


@dataclass
class Comparison:
    """Every image of two snapshot sets, compared."""

    before_dir: Path
    after_dir: Path
    threshold: float
    changes: list[ImageChange] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many images have a status."""
        return sum(1 for c in self.changes if c.status == status)

    @property
    def changed_templates(self) -> list[str]:
        """Templates with at least one image changed, added or removed."""
        return sorted({str(c.entry.get("template")) for c in self.changes if c.status != UNCHANGED})

    @property
    def exit_code(self) -> int:
        """1 when anything changed beyond the threshold, was added or was removed; else 0."""
        return exit_status(any(c.status != UNCHANGED for c in self.changes))

    def summary(self) -> str:
        """One line: counts per status."""
        parts = [f"{self.count(s)} {s}" for s in STATUSES]
        return f"{len(self.changes)} images: " + ", ".join(parts)

    def to_json(self) -> str:
        """The stable JSON document of `snapshot --compare --format json`."""
        doc = {
            "version": JSON_VERSION,
            "threshold": self.threshold,
            "summary": {s: self.count(s) for s in STATUSES},
            "changedTemplates": self.changed_templates,
            "images": [c.to_json() for c in self.changes],
        }
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _load(path: Path) -> Any:
    import numpy as np
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img.convert("RGB"), dtype=np.int16)


def _canvas(a: Any, height: int, width: int) -> Any:
    import numpy as np

    # -1 stands for "no pixel here": it never equals a real channel value, so extra area counts as changed.
    out = np.full((height, width, 3), -1, dtype=np.int16)
    out[: a.shape[0], : a.shape[1]] = a
    return out


def pixel_diff(before: Path, after: Path) -> tuple[PixelDiff, Any]:
    """Compare two PNG files; the result and the boolean mask of changed pixels."""
    import numpy as np

    a, b = _load(before), _load(after)
    height, width = max(a.shape[0], b.shape[0]), max(a.shape[1], b.shape[1])
    if a.shape != b.shape:
        a, b = _canvas(a, height, width), _canvas(b, height, width)
    mask = np.any(a != b, axis=2)
    changed = int(mask.sum())
    bbox = None
    if changed:
        rows = np.flatnonzero(mask.any(axis=1))
        cols = np.flatnonzero(mask.any(axis=0))
        bbox = (int(cols[0]), int(rows[0]), int(cols[-1] - cols[0] + 1), int(rows[-1] - rows[0] + 1))
    return PixelDiff(changed, height * width, bbox), mask


def highlight(after: Path, mask: Any, bbox: tuple[int, int, int, int] | None, dest: Path) -> None:
    """The after image washed out, changed pixels in a strong colour and the changed region boxed."""
    import numpy as np
    from PIL import Image, ImageDraw

    height, width = mask.shape
    with Image.open(after) as img:
        base = np.asarray(img.convert("L"), dtype=np.uint8)
    canvas = np.full((height, width), 255, dtype=np.uint8)
    canvas[: base.shape[0], : base.shape[1]] = base
    washed = (canvas.astype(np.uint16) * 35 // 100 + 166).astype(np.uint8)
    rgb = np.repeat(washed[:, :, None], 3, axis=2)
    rgb[mask] = HIGHLIGHT
    image = Image.fromarray(rgb, "RGB")
    if bbox is not None:
        x, y, w, h = bbox
        ImageDraw.Draw(image).rectangle([max(x - 2, 0), max(y - 2, 0), x + w + 1, y + h + 1], outline=BOX, width=2)
    dest.parent.mkdir(parents=True, exist_ok=True)
    image.save(dest, format="PNG", compress_level=6)


def compare_sets(
    before_dir: Path,
    after_dir: Path,
    *,
    out_dir: Path,
    threshold: float = 0.0,
    templates: set[str] | None = None,
    before: Mapping[str, Mapping[str, Any]] | None = None,
    after: Mapping[str, Mapping[str, Any]] | None = None,
) -> Comparison:
    """Compare the images of two snapshot folders (optionally only some templates); diffs go to out_dir/diff."""
    old = dict(before if before is not None else read_manifest(before_dir))
    new = dict(after if after is not None else read_manifest(after_dir))
    if templates is not None:
        old = {k: v for k, v in old.items() if v.get("template") in templates}
        new = {k: v for k, v in new.items() if v.get("template") in templates}
    result = Comparison(before_dir, after_dir, threshold)
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if a is None:
            result.changes.append(ImageChange(key, ADDED, None, b))
            continue
        if b is None:
            result.changes.append(ImageChange(key, REMOVED, a, None))
            continue
        if a.get("png") is not None and a.get("png") == b.get("png"):
            result.changes.append(ImageChange(key, UNCHANGED, a, b, PixelDiff(0, 1, None)))
            continue
        diff, mask = pixel_diff(before_dir / str(a["file"]), after_dir / str(b["file"]))
        if diff.changed_pixels == 0 or diff.share <= threshold:
            result.changes.append(ImageChange(key, UNCHANGED, a, b, diff))
            continue
        diff_file = f"{DIFF_DIR}/{key}.png"
        highlight(after_dir / str(b["file"]), mask, diff.bbox, out_dir / diff_file)
        result.changes.append(ImageChange(key, CHANGED, a, b, diff, diff_file))
    return result


def parse_threshold(text: str) -> float:
    """A threshold given as a share (0.002) or a percentage (0.2%)."""
    value = text.strip()
    try:
        number = float(value[:-1]) / 100 if value.endswith("%") else float(value)
    except ValueError:
        raise ValueError(f"'{text}' is not a share of pixels such as 0.001 or 0.1%") from None
    if not 0 <= number < 1:
        raise ValueError(f"'{text}' must be at least 0 and less than 1 (100%)")
    return number


def markdown_summary(comparison: Comparison, *, image_url: str = "", baseline: str = "", limit: int = 30) -> str:
    """A pull-request comment: the changed templates with a thumbnail of each difference.

    image_url is where the output folder's images can be fetched from (a URL prefix); without it the
    images are referred to by their path in the folder.
    """
    prefix = image_url.rstrip("/") + "/" if image_url else ""
    lines = ["### Email snapshots" + (f" against `{baseline}`" if baseline else ""), "", comparison.summary() + "."]
    changed = [c for c in comparison.changes if c.status != UNCHANGED]
    if not changed:
        lines += ["", "No email looks different."]
        return "\n".join(lines) + "\n"
    lines += ["", "| template | view | change | difference |", "| --- | --- | --- | --- |"]
    for c in changed[:limit]:
        e = c.entry
        view = f"{e.get('recipient')}, {e.get('width')} px, {e.get('scheme')}, {e.get('engine')}"
        what = c.status
        if c.status == CHANGED and c.diff is not None and c.diff.bbox is not None:
            x, y, w, h = c.diff.bbox
            what = f"{c.diff.share * 100:.2f}% of pixels, {w}x{h} at ({x}, {y})"
        shown = c.diff_file or (c.after or c.before or {}).get("file")
        image = f'<img src="{prefix}{shown}" width="200" alt="{c.key}">' if shown and c.status != REMOVED else ""
        lines.append(f"| `{e.get('template')}` | {view} | {what} | {image} |")
    if len(changed) > limit:
        lines += ["", f"... and {len(changed) - limit} more: see the report artifact."]
    return "\n".join(lines) + "\n"
