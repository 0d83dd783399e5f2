"""Pixel comparison of snapshot sets: share of changed pixels, the changed region, statuses, thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from kmsg_authoring.review.compare import CHANGED, UNCHANGED, compare_sets, parse_threshold, pixel_diff
from kmsg_authoring.review.snapshot import write_manifest
from kmsg_authoring.source.project import digest


def _png(path: Path, size: tuple[int, int], box: tuple[int, int, int, int] | None = None) -> str:
    img = Image.new("RGB", size, (255, 255, 255))
    if box is not None:
        img.paste((200, 0, 0), box)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, format="PNG")
    return digest(path.read_bytes())


def _entry(file: str, digest: str, template: str = "t") -> dict[str, object]:
    return {
        "file": file,
        "template": template,
        "sample": "default",
        "recipient": "a@example.com",
        "width": 100,
        "scheme": "light",
        "engine": "chromium",
        "png": digest,
    }


def test_pixel_diff_finds_share_and_box(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", (100, 50))
    _png(tmp_path / "b.png", (100, 50), (10, 20, 30, 25))
    diff, _ = pixel_diff(tmp_path / "a.png", tmp_path / "b.png")
    assert diff.bbox == (10, 20, 20, 5)
    assert diff.changed_pixels == 100 and diff.share == pytest.approx(100 / 5000)


def test_a_taller_image_counts_the_new_area_as_changed(tmp_path: Path) -> None:
    _png(tmp_path / "a.png", (100, 50))
    _png(tmp_path / "b.png", (100, 60))
    diff, _ = pixel_diff(tmp_path / "a.png", tmp_path / "b.png")
    assert diff.bbox == (0, 50, 100, 10)


def test_compare_sets_statuses_threshold_and_json(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    same = _png(before / "t/same.png", (100, 50))
    _png(after / "t/same.png", (100, 50))
    old = _png(before / "t/moved.png", (100, 50))
    new = _png(after / "t/moved.png", (100, 50), (0, 0, 2, 1))
    gone = _png(before / "t/gone.png", (10, 10))
    fresh = _png(after / "u/new.png", (10, 10))
    write_manifest(
        before,
        {
            "t/same": _entry("t/same.png", same),
            "t/moved": _entry("t/moved.png", old),
            "t/gone": _entry("t/gone.png", gone),
        },
    )
    write_manifest(
        after,
        {
            "t/same": _entry("t/same.png", same),
            "t/moved": _entry("t/moved.png", new),
            "u/new": _entry("u/new.png", fresh, "u"),
        },
    )
    result = compare_sets(before, after, out_dir=after)
    assert {c.key: c.status for c in result.changes} == {
        "t/same": UNCHANGED,
        "t/moved": CHANGED,
        "t/gone": "removed",
        "u/new": "added",
    }
    assert result.exit_code == 1 and result.changed_templates == ["t", "u"]
    moved = next(c for c in result.changes if c.key == "t/moved")
    assert moved.diff_file is not None and (after / moved.diff_file).is_file()
    doc = json.loads(result.to_json())
    assert doc["summary"] == {"changed": 1, "added": 1, "removed": 1, "unchanged": 1}
    assert next(i for i in doc["images"] if i["key"] == "t/moved")["bbox"] == {"x": 0, "y": 0, "width": 2, "height": 1}
    # Two pixels of 5000 are within a 0.1% threshold.
    lenient = compare_sets(before, after, out_dir=after, threshold=0.001, templates={"t"})
    assert [c.status for c in lenient.changes if c.key == "t/moved"] == [UNCHANGED]


@pytest.mark.parametrize(("text", "value"), [("0", 0.0), ("0.002", 0.002), ("0.5%", 0.005)])
def test_parse_threshold(text: str, value: float) -> None:
    assert parse_threshold(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["-1", "1", "abc", "150%"])
def test_parse_threshold_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_threshold(text)


def test_markdown_summary_lists_changes_with_thumbnails(tmp_path: Path) -> None:
    from kmsg_authoring.review.compare import markdown_summary

    before, after = tmp_path / "before", tmp_path / "after"
    old = _png(before / "t/a.png", (100, 50))
    new = _png(after / "t/a.png", (100, 50), (0, 0, 10, 10))
    same = _png(before / "u/b.png", (10, 10))
    _png(after / "u/b.png", (10, 10))
    write_manifest(before, {"t/a": _entry("t/a.png", old), "u/b": _entry("u/b.png", same, "u")})
    write_manifest(after, {"t/a": _entry("t/a.png", new), "u/b": _entry("u/b.png", same, "u")})
    text = markdown_summary(
        compare_sets(before, after, out_dir=after), image_url="https://img.example/pr-1/", baseline="origin/main"
    )
    assert text.startswith("### Email snapshots against `origin/main`")
    assert "| `t` | a@example.com, 100 px, light, chromium | 2.00% of pixels, 10x10 at (0, 0) |" in text
    assert '<img src="https://img.example/pr-1/_diff/t/a.png" width="200"' in text
    assert "`u`" not in text
