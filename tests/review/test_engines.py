"""The three engines on the example templates: full-height images, byte-identical across runs, side by side."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from kmsg_authoring.cli import main
from kmsg_authoring.review.browser import ENGINES, VIEWPORT_HEIGHT, BrowserMissing
from kmsg_authoring.review.engines import Engines
from kmsg_authoring.review.snapshot import take_snapshots
from kmsg_authoring.source.config import load_config
from tests.review.conftest import needs


@needs("chromium")
@needs("webkit")
@needs("firefox")
def test_examples_in_three_engines_are_full_height_and_byte_identical(
    example_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = load_config(example_project)
    first, second = tmp_path / "first", tmp_path / "second"
    with Engines(ENGINES) as engines:
        run1 = take_snapshots(config, out_dir=first, engines=engines)
        run2 = take_snapshots(config, out_dir=second, engines=engines, use_cache=False)
    assert run1.images and set(run1.images) == set(run2.images)
    for key, entry in run1.images.items():
        one, two = (first / entry["file"]).read_bytes(), (second / entry["file"]).read_bytes()
        assert one == two, f"{key} differs between two runs"
    for engine in ENGINES:
        ours = {k: v for k, v in run1.images.items() if v["engine"] == engine}
        # 6 recipients (event-invitation has two, attendance-confirmation a Hebrew sample) x 2 widths x 2 schemes.
        assert len(ours) == 24, engine
        for entry in ours.values():
            with Image.open(first / entry["file"]) as img:
                width, height = img.size
            assert width == entry["width"]
            # Full height: the whole email, several times the window the engine started with.
            assert height > 3 * VIEWPORT_HEIGHT, (entry["file"], height)
    # The engines render differently (that is the point), yet each is internally consistent.
    sample = "event-invitation/default/01-jane@example.com/600-light-{}"
    assert len({run1.images[sample.format(e)]["png"] for e in ENGINES}) == 3

    # The report shows every engine's image of one view side by side.
    code = main(
        [
            "-C",
            str(example_project),
            "snapshot",
            "--out",
            str(first),
            "--engine",
            "chromium,webkit,firefox",
            "--compare",
            str(second),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "72 images: 0 changed, 0 added, 0 removed, 72 unchanged" in out
    report = (first / "report.html").read_text(encoding="utf-8")
    section = report.split('<section class="case"', 2)[1]
    assert "--engines:3" in section
    assert [section.index(f'data-engine="{e}"') for e in ENGINES] == sorted(
        section.index(f'data-engine="{e}"') for e in ENGINES
    )


@needs("webkit")
def test_webkit_dark_scheme_applies_the_emails_dark_rules(make_project, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = make_project(
        {
            "templates_src/t/template.yaml": 'name: T\nsubject: Hi\ntoAttributePath: "{recipient.email}"\n'
            "msgParamsMap:\n  recipient: {type: User}\n",
            "templates_src/t/body.html": (
                '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title><style>'
                "body{margin:0;background:#ffffff}"
                "@media (prefers-color-scheme: dark){body{background:#000000 !important}}</style></head>"
                '<body><p style="margin:0;height:50px">{recipient.firstName}</p></body></html>'
            ),
        }
    )
    result = take_snapshots(load_config(root), out_dir=tmp_path / "s", engine_names=["webkit"], widths=[300])
    corners = {}
    for entry in result.images.values():
        with Image.open(io.BytesIO((tmp_path / "s" / entry["file"]).read_bytes())) as img:
            corners[entry["scheme"]] = img.convert("RGB").getpixel((290, 5))
    assert corners == {"light": (255, 255, 255), "dark": (0, 0, 0)}


@pytest.mark.parametrize(
    ("engine", "variable", "package"),
    [("webkit", "KMSG_WEBKIT_DRIVER", "webkit2gtk-driver"), ("firefox", "KMSG_FIREFOX", "firefox-esr")],
)
def test_a_missing_engine_names_the_debian_package(
    example_project: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    engine: str,
    variable: str,
    package: str,
) -> None:
    monkeypatch.setenv(variable, str(example_project / "not-installed"))
    code = main(["-C", str(example_project), "snapshot", "--engine", engine])
    err = capsys.readouterr().err
    assert code == 2 and f"apt-get install {package}" in err
    with pytest.raises(BrowserMissing):
        Engines([engine]).check()


def test_unknown_engine_is_a_usage_error(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(example_project), "snapshot", "--engine", "chromium,trident"]) == 2
    assert "unknown engine 'trident'" in capsys.readouterr().err


def test_engines_from_kmsg_toml(
    example_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (example_project / "kmsg.toml").write_text('[snapshot]\nengines = ["firefox"]\n', encoding="utf-8")
    monkeypatch.setenv("KMSG_FIREFOX", str(example_project / "not-installed"))
    assert main(["-C", str(example_project), "snapshot"]) == 2
    assert "firefox-esr" in capsys.readouterr().err
