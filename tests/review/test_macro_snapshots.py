"""The shipped macros (button, background, columns, calendar links) in the three engines."""

from __future__ import annotations

from pathlib import Path

from kmsg_authoring.review.engines import ENGINES, Engines
from kmsg_authoring.review.snapshot import take_snapshots
from kmsg_authoring.source.config import load_config
from tests.lint.test_outlook import macro_project
from tests.review.conftest import needs


@needs("chromium")
@needs("webkit")
@needs("firefox")
def test_macros_snapshot_identically_across_runs_in_three_engines(tmp_path: Path) -> None:
    config = load_config(macro_project(tmp_path / "project"))
    first, second = tmp_path / "first", tmp_path / "second"
    with Engines(ENGINES) as engines:
        kw = {"widths": [600, 360], "schemes": ["light"], "engines": engines}
        run1 = take_snapshots(config, ["macros"], out_dir=first, **kw)  # type: ignore[arg-type]
        run2 = take_snapshots(config, ["macros"], out_dir=second, use_cache=False, **kw)  # type: ignore[arg-type]
    assert not run1.failures and len(run1.images) == 6 and set(run1.images) == set(run2.images)
    assert {e["engine"] for e in run1.images.values()} == set(ENGINES)
    for key, entry in run1.images.items():
        assert (first / entry["file"]).read_bytes() == (second / entry["file"]).read_bytes(), key
