"""The live preview's snapshots: a thumbnail per template on the index, a Changes view against the last snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.preview.site import PreviewSite
from kmsg_authoring.review.run import snapshot_review
from kmsg_authoring.review.thumbs import Thumbnails
from kmsg_authoring.source.config import load_config
from tests.review.conftest import needs


@pytest.mark.browser
@needs("chromium")
def test_thumbnails_and_changes_view_follow_rebuilds(example_project: Path) -> None:
    toml = example_project / "kmsg.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8") + '\n[snapshot]\nwidths = [600]\nschemes = ["light"]\n', encoding="utf-8"
    )
    config = load_config(example_project)
    snapshot_review(config)  # the baseline: what `kmsg-author snapshot` last wrote
    site = PreviewSite(config, poll_timeout=0.01)
    site.thumbnails = Thumbnails(config, on_done=site.on_thumbnails)
    try:
        site.build_all()
        site.thumbnails.wait_idle()
        index = site.handle("/").body.decode()
        thumb = "/snapshots/live/reminder/default/01-jane%40example.com/600-light-chromium.png"
        assert f'src="{thumb}"' in index and "<th>Snapshot</th>" in index
        image = site.handle(thumb)
        assert image.status == 200 and image.content_type == "image/png" and image.body[:4] == b"\x89PNG"
        page = site.handle("/t/reminder").body.decode()
        assert 'data-target="changes"' in page and "0 of 1 image(s) differ" in page

        # A save: the template is rebuilt and snapshotted again, and its Changes view shows the difference.
        sample = example_project / "templates_src/reminder/samples/default.yaml"
        sample.write_text(sample.read_text(encoding="utf-8").replace("in one hour", "in ten minutes"), encoding="utf-8")
        epoch = site.epoch
        site.on_change({"templates_src/reminder/samples/default.yaml"})
        site.thumbnails.wait_idle()
        assert site.current("reminder") > epoch + 1  # rebuilt, then re-snapshotted
        page = site.handle("/t/reminder").body.decode()
        assert "1 of 1 image(s) differ" in page and "status-changed" in page
        diff = "/snapshots/live/_diff/reminder/default/01-jane%40example.com/600-light-chromium.png"
        assert f'src="{diff}"' in page and site.handle(diff).status == 200
        assert "0 of 2 image(s) differ" in site.handle("/t/event-invitation").body.decode()
        # Paths outside the snapshot folders are refused.
        assert site.handle("/snapshots/live/../../kmsg.toml").status == 404
        assert site.handle("/snapshots/other/x.png").status == 404
    finally:
        site.thumbnails.stop()


def test_without_a_baseline_there_is_no_changes_view(example_project: Path) -> None:
    config = load_config(example_project)
    site = PreviewSite(config, poll_timeout=0.01)
    site.thumbnails = Thumbnails(config, engine_names=())  # no engine: nothing rendered, nothing to compare
    site.build_all()
    assert 'data-target="changes"' not in site.handle("/t/reminder").body.decode()
    assert "<th>Snapshot</th>" not in site.handle("/").body.decode()
    site.thumbnails.stop()


def test_without_a_browser_the_baseline_images_are_shown_and_the_reason_given(
    example_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PIL import Image

    from kmsg_authoring.review.snapshot import write_manifest

    monkeypatch.setenv("KMSG_CHROMIUM", str(example_project / "no-chromium"))
    config = load_config(example_project)
    base = config.build_dir / "snapshots"
    file = "reminder/default/01-jane@example.com/600-light-chromium.png"
    (base / file).parent.mkdir(parents=True)
    Image.new("RGB", (600, 300), (255, 255, 255)).save(base / file)
    write_manifest(
        base,
        {
            file[:-4]: {
                "file": file,
                "template": "reminder",
                "sample": "default",
                "recipient": "jane@example.com",
                "width": 600,
                "scheme": "light",
                "engine": "chromium",
            }
        },
    )
    site = PreviewSite(config, poll_timeout=0.01)
    site.thumbnails = Thumbnails(config, on_done=site.on_thumbnails)
    try:
        site.build_all()
        site.thumbnails.wait_idle()
        assert (
            "/snapshots/base/reminder/default/01-jane%40example.com/600-light-chromium.png"
            in site.handle("/").body.decode()
        )
        page = site.handle("/t/reminder").body.decode()
        assert 'data-target="changes"' in page
        assert "Live snapshots are off" in page and "apt-get install chromium" in page
    finally:
        site.thumbnails.stop()
