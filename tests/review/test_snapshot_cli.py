"""`kmsg-author snapshot` end to end in headless Chromium: images, manifest, cache, --compare, report."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from tests.review.conftest import commit_all, git, needs

LAYOUT = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{{% block title %}}{{% endblock %}}</title></head>
<body style="margin:0;background:#ffffff">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0">
<tr><td style="background-color:{color};height:40px;padding:0;font-size:1px;line-height:1px">&nbsp;</td></tr>
<tr><td style="padding:16px;font-family:Arial,sans-serif;font-size:16px;color:#222222">
{{% block content %}}{{% endblock %}}
</td></tr></table>
</body></html>
"""
YAML = """\
name: {name}
subject: Hello {{recipient.firstName}}
toAttributePath: "{{recipient.email}}"
msgParamsMap:
  recipient: {{type: User}}
"""
BODY = """\
{{% extends "_layouts/{layout}.html" %}}
{{% block content %}}<p>Hi {{recipient.firstName}}, this is {name}.</p>{{% endblock %}}
"""
SAMPLE = """\
users:
  - {id: jane@example.com, firstName: Jane, lastName: Doe, email: jane@example.com}
msgParams:
  recipient: {type: User, value: Message.userId}
"""


def project_files(blue: str = "#1a237e") -> dict[str, str | bytes]:
    """Three templates: one and two on layout a (blue header), three on layout b (green header)."""
    files: dict[str, str | bytes] = {
        "kmsg.toml": '[snapshot]\nwidths = [400]\nschemes = ["light"]\n',
        "templates_src/_layouts/a.html": LAYOUT.format(color=blue),
        "templates_src/_layouts/b.html": LAYOUT.format(color="#1b5e20"),
    }
    for name, layout in (("one", "a"), ("two", "a"), ("three", "b")):
        files[f"templates_src/{name}/template.yaml"] = YAML.format(name=name)
        files[f"templates_src/{name}/body.html"] = BODY.format(layout=layout, name=name)
        files[f"templates_src/{name}/samples/default.yaml"] = SAMPLE
    return files


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@needs("chromium")
def test_layout_colour_change_marks_exactly_its_templates_changed(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(project_files())
    commit_all(root, "base")
    layout = root / "templates_src/_layouts/a.html"
    layout.write_text(layout.read_text(encoding="utf-8").replace("#1a237e", "#b71c1c"), encoding="utf-8")

    code, out, err = run_cli(capsys, "-C", str(root), "snapshot", "--compare", "HEAD", "--format", "json")
    assert code == 1, err
    doc = json.loads(out)
    assert doc["changedTemplates"] == ["one", "two"]
    status = {i["template"]: i["status"] for i in doc["images"]}
    assert status == {"one": "changed", "two": "changed", "three": "unchanged"}
    for image in doc["images"]:
        if image["status"] == "changed":
            # Exactly the header cell: the full width, 40 px at the top.
            assert image["bbox"] == {"x": 0, "y": 0, "width": 400, "height": 40}
            assert 0 < image["share"] < 0.5
            assert (root / "build/snapshots" / image["diff"]).is_file()
    report = (root / "build/snapshots/report.html").read_text(encoding="utf-8")
    assert "_baseline/one/default/01-jane@example.com/400-light-chromium.png" in report
    assert "_diff/one/default/01-jane@example.com/400-light-chromium.png" in report
    # The temporary worktree is gone.
    assert len(git(root, "worktree", "list").splitlines()) == 1

    # A change that renders the same: everything unchanged, exit 0.
    commit_all(root, "red header")
    layout.write_text(layout.read_text(encoding="utf-8").replace("<body", "<!-- reviewed -->\n<body"), encoding="utf-8")
    code, out, err = run_cli(capsys, "-C", str(root), "snapshot", "--compare", "HEAD")
    assert code == 0, out + err
    assert "3 images: 0 changed, 0 added, 0 removed, 3 unchanged against HEAD" in out


@needs("chromium")
def test_unchanged_html_is_not_rendered_again_and_a_folder_is_a_baseline(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    root = make_project(project_files())
    base = tmp_path / "base-snaps"
    code, out, _ = run_cli(capsys, "-C", str(root), "snapshot", "--out", str(base), "--width", "400,320")
    assert code == 0 and "6 snapshot(s)" in out and "(6 rendered, 0 unchanged HTML kept)" in out
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))["images"]
    entry = manifest["three/default/01-jane@example.com/320-light-chromium"]
    assert entry["width"] == 320 and entry["recipient"] == "jane@example.com" and entry["scheme"] == "light"
    assert entry["size"][0] == 320 and len(entry["html"]) == 64
    assert (base / entry["file"]).is_file()

    code, out, _ = run_cli(capsys, "-C", str(root), "snapshot", "--out", str(base), "--width", "400,320")
    assert "(0 rendered, 6 unchanged HTML kept)" in out

    body = root / "templates_src/three/body.html"
    body.write_text(body.read_text(encoding="utf-8").replace("this is", "here is"), encoding="utf-8")
    current = tmp_path / "current"
    code, out, _ = run_cli(
        capsys,
        "-C",
        str(root),
        "snapshot",
        "three",
        "--out",
        str(current),
        "--width",
        "400,320",
        "--compare",
        str(base),
    )
    assert code == 1
    assert "changed  three/default/01-jane@example.com/400-light-chromium" in out
    assert "2 images: 2 changed" in out  # only the template named is compared
    assert (current / "_baseline/manifest.json").is_file()
    # Back in the first folder, only the edited template's emails are rendered again.
    code, out, _ = run_cli(capsys, "-C", str(root), "snapshot", "--out", str(base), "--width", "400,320")
    assert "(2 rendered, 4 unchanged HTML kept)" in out


def test_missing_chromium_says_what_to_install(
    make_project: Callable[[dict[str, str | bytes]], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(project_files())
    monkeypatch.setenv("KMSG_CHROMIUM", str(root / "no-such-chromium"))
    code, _, err = run_cli(capsys, "-C", str(root), "snapshot")
    assert code == 2
    assert "apt-get install chromium" in err and "playwright install chromium" in err
    assert not (root / "build/snapshots/manifest.json").exists()


def test_missing_playwright_says_what_to_install(
    make_project: Callable[[dict[str, str | bytes]], Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = make_project(project_files())
    monkeypatch.setitem(sys.modules, "playwright", None)  # import playwright now raises ImportError
    code, _, err = run_cli(capsys, "-C", str(root), "snapshot")
    assert code == 2 and "pip install 'kmsg-author[browser]'" in err


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[snapshot]\nwidths = [10]\n", "widths"),
        ('[snapshot]\nengines = ["opera"]\n', "engines"),
        ("[snapshot]\ncolour = 1\n", "unknown key 'colour'"),
    ],
    ids=["width", "engine", "key"],
)
def test_bad_snapshot_settings_are_config_errors(
    make_project: Callable[[dict[str, str | bytes]], Path], capsys: pytest.CaptureFixture[str], toml: str, words: str
) -> None:
    root = make_project({**project_files(), "kmsg.toml": toml})
    code, _, err = run_cli(capsys, "-C", str(root), "snapshot")
    assert code == 2 and "kmsg.toml" in err and words in err


def test_a_project_without_templates_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "templates_src").mkdir()
    code, _, err = run_cli(capsys, "-C", str(tmp_path), "snapshot")
    assert code == 2 and "no templates in templates_src/" in err


@needs("chromium")
def test_the_translated_example_is_snapshotted_in_each_samples_locale(
    example_project: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_dir = tmp_path / "snaps"
    code, out, _ = run_cli(
        capsys,
        "-C",
        str(example_project),
        "snapshot",
        "attendance-confirmation",
        "--out",
        str(out_dir),
        "--width",
        "375",
    )
    assert code == 0, out
    images = json.loads((out_dir / "manifest.json").read_text(encoding="utf-8"))["images"]
    english = images["attendance-confirmation/default/01-jane@example.com/375-light-chromium"]
    hebrew = images["attendance-confirmation/hebrew/01-noa@example.com/375-light-chromium"]
    assert english["html"] != hebrew["html"]
    # The Hebrew sample is rendered from the Hebrew build, right to left.
    from kmsg_authoring.review.snapshot import plan
    from kmsg_authoring.source.config import load_config

    jobs, _ = plan(
        load_config(example_project), ["attendance-confirmation"], widths=[375], schemes=["light"], engines=["chromium"]
    )
    pages = {job.sample: job.page for job in jobs}
    assert '<html lang="he" dir="rtl"' in pages["hebrew"] and "נתראה שם, נועה!" in pages["hebrew"]
    assert '<html lang="en" dir="ltr"' in pages["default"] and "See you there, Jane!" in pages["default"]
