"""An email that tries to navigate away (a meta refresh) is captured as it is, at once, in every engine.

Firefox followed `<meta http-equiv="refresh">` inside the email's frame, then waited 40 s for a
frame that never became the email again and failed.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from kmsg_authoring.review.page import offline_page
from kmsg_authoring.review.snapshot import take_snapshots
from kmsg_authoring.source.config import load_config
from tests.review.conftest import needs

Project = Callable[[dict[str, str | bytes]], Path]

META = {
    "to-a-site": '<meta http-equiv="refresh" content="0; url=https://example.com/">',
    "to-blank": "<meta http-equiv=Refresh content='0;url=about:blank'>",
    "entity-spelled": '<meta http-equiv="&#82;efresh" content="0; url=about:blank">',
    "reload": '<meta http-equiv="refresh" content="0">',
}


def body(meta: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">' + meta + "<title>t</title>"
        "<style>body{margin:0;background:#ffffff}</style></head>"
        '<body><p style="margin:0;height:60px;background:#ff0000">{recipient.firstName}</p></body></html>'
    )


@pytest.mark.parametrize("meta", sorted(META), ids=sorted(META))
def test_the_offline_page_has_no_refresh(meta: str) -> None:
    page = offline_page(body(META[meta]))
    assert "efresh" not in page and "{recipient.firstName}" in page
    assert '<meta charset="utf-8">' in page  # other meta elements stay


@pytest.mark.parametrize(
    "engine",
    [pytest.param(e, marks=needs(e)) for e in ("firefox", "chromium", "webkit")],
)
def test_a_meta_refresh_is_ignored_in_the_snapshot(make_project: Project, tmp_path: Path, engine: str) -> None:
    files: dict[str, str | bytes] = {}
    for name, meta in META.items():
        files[f"templates_src/{name}/template.yaml"] = (
            'name: T\nsubject: Hi\ntoAttributePath: "{recipient.email}"\nmsgParamsMap:\n  recipient: {type: User}\n'
        )
        files[f"templates_src/{name}/body.html"] = body(meta)
    root = make_project(files)
    result = take_snapshots(load_config(root), out_dir=tmp_path / "s", engine_names=[engine], widths=[300])
    assert not result.failures, result.failures
    seen = set()
    for entry in result.images.values():
        if entry["scheme"] != "light":
            continue
        with Image.open(io.BytesIO((tmp_path / "s" / entry["file"]).read_bytes())) as img:
            # The email itself: its red first paragraph, not another page.
            assert img.convert("RGB").getpixel((150, 30)) == (255, 0, 0), entry["file"]
        seen.add(entry["template"])
    assert seen == set(META)


def test_the_frame_of_the_url_driven_engines_is_sandboxed() -> None:
    """WebKitGTK and Firefox show the email in a frame that can neither script nor navigate."""
    from kmsg_authoring.review.framing import framed

    page = framed(body(META["to-a-site"]), 300)
    assert '<iframe id="kmsg-email" scrolling="no" sandbox="allow-same-origin" srcdoc=' in page
