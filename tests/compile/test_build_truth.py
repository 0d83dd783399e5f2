"""build/ is what the sources compile to now, whatever ran before: no command records a template as built
without its outputs, an output's presence proves nothing, and every setting that changes output keys the cache."""

from __future__ import annotations

import dataclasses
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.project.cache import NOT_IN_KEY, settings_key
from kmsg_authoring.source.config import Deliverability, MjmlOptions, load_config
from tests.conftest import MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]

LAYOUT = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Hello</title>
<style>p { color: #123456; } .lead { font-weight: bold; }</style></head>
<body>{% block content %}{% endblock %}</body></html>
"""
BODY = """\
{% extends "_layouts/base.html" %}
{% block content %}<p class="lead">Hi {recipient.firstName}, this is the first text.</p>{% endblock %}
"""


def project(make_project: Project) -> Path:
    return make_project(
        {
            "kmsg.toml": '[build]\ninliner = "css-inline"\n',
            "templates_src/_layouts/base.html": LAYOUT,
            "templates_src/t/template.yaml": MINIMAL_YAML,
            "templates_src/t/body.html": BODY,
        }
    )


def run(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-C", str(root), *args])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def outputs(root: Path) -> dict[str, bytes]:
    """Every file of build/ but the cache."""
    build = root / "build"
    return {
        p.relative_to(build).as_posix(): p.read_bytes()
        for p in sorted(build.rglob("*"))
        if p.is_file() and not p.name.startswith(".cache.sqlite")
    }


def fresh_outputs(root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    """build/ of `build --no-cache` in a fresh copy of the same sources."""
    copy = tmp_path / "fresh"
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    shutil.copy(root / "kmsg.toml", copy / "kmsg.toml")
    shutil.copytree(root / "templates_src", copy / "templates_src")
    run(capsys, copy, "build", "--no-cache")
    return outputs(copy)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_lint_after_an_edit_does_not_make_the_next_build_keep_stale_outputs(
    make_project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a pre-commit hook does between two builds: the lint compiles (and caches) the edit.
    root = project(make_project)
    assert run(capsys, root, "build")[0] == 0
    edit(root / "templates_src/t/body.html", "first text", "second text")
    assert run(capsys, root, "lint")[0] == 0
    code, text = run(capsys, root, "build")
    assert code == 0, text
    assert "second text" in (root / "build/t.html").read_text(encoding="utf-8")
    assert "(0 unchanged" in text  # the outputs were written: not reported as unchanged
    assert outputs(root) == fresh_outputs(root, tmp_path, capsys)


@pytest.mark.parametrize("command", ["compat", "contract", "lint"])
def test_a_command_that_compiled_an_edit_never_lets_the_build_skip_its_gates(
    make_project: Project, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    # compat and contract compile without linting: what they cache must not pass for linted.
    root = project(make_project)
    assert run(capsys, root, "build")[0] == 0
    edit(root / "templates_src/t/body.html", "first text.</p>", "first text.</p><script>alert(1)</script>")
    run(capsys, root, command)
    code, text = run(capsys, root, "build")
    assert code == 1 and "KM502" in text, text
    assert not (root / "build/t.html").exists() and not (root / "build/t.json").exists()


@pytest.mark.parametrize("output", ["t.html", "t.json", "contracts/t.schema.json", "manifest.json"])
def test_an_output_changed_or_removed_behind_the_builds_back_is_written_again(
    make_project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str], output: str
) -> None:
    root = project(make_project)
    assert run(capsys, root, "build")[0] == 0
    expected = outputs(root)
    path = root / "build" / output
    path.write_bytes(path.read_bytes().replace(b"first", b"stale"))
    code, text = run(capsys, root, "build")
    assert code == 0 and outputs(root) == expected, text
    path.unlink()
    assert run(capsys, root, "build")[0] == 0 and outputs(root) == expected


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_an_output_that_is_not_a_regular_file_of_build_is_no_proof(
    make_project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    root = project(make_project)
    assert run(capsys, root, "build")[0] == 0
    expected = outputs(root)
    path = root / "build/t.html"
    if kind == "link":  # the same bytes, but through a link: build/ does not hold them itself
        twin = tmp_path / "twin.html"
        twin.write_bytes(path.read_bytes())
        path.unlink()
        path.symlink_to(twin)
    else:  # read without waiting for a writer, and written again
        path.unlink()
        os.mkfifo(path)
    code, text = run(capsys, root, "build")
    assert code == 0 and "1 unchanged" not in text, text
    assert path.is_file() and not path.is_symlink() and outputs(root) == expected


def test_switching_the_inliner_rebuilds_with_the_new_engine(
    make_project: Project, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = project(make_project)
    assert run(capsys, root, "build")[0] == 0
    first = outputs(root)
    (root / "kmsg.toml").write_text('[build]\ninliner = "premailer"\n', encoding="utf-8")
    assert run(capsys, root, "build")[0] == 0
    assert outputs(root) != first  # the engines write the <head> differently
    assert outputs(root) == fresh_outputs(root, tmp_path, capsys)


# A changed value for each setting in the cache key; a setting added to Config fails the test until
# it is listed here or in NOT_IN_KEY.
CHANGED: dict[str, Any] = {
    "src_dir": Path("/elsewhere/templates_src"),
    "inliner": "premailer",
    "remote_stylesheets": "error",
    "render_time_limit": 3.0,
    "render_size_limit": 1024,
    "brand": MappingProxyType({"company": "Other"}),
    "lint": MappingProxyType({"disable": ["KM102"]}),
    "mjml": MjmlOptions(minify=True),
    "locales": ("en", "fr"),
    "default_locale": "fr",
    "suffix_default_locale": True,
    "preserve_cascade": False,
    "minify": True,
    "remove_unused_css": True,
    "deliverability": Deliverability(max_image_kb=1.0),
}


def test_every_setting_that_changes_output_is_in_the_cache_key(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    fields = {f.name for f in dataclasses.fields(config)}
    assert fields == set(CHANGED) | NOT_IN_KEY
    for name, value in CHANGED.items():
        assert settings_key(dataclasses.replace(config, **{name: value})) != settings_key(config), name
    for name in NOT_IN_KEY - {"root"}:
        assert settings_key(dataclasses.replace(config, **{name: getattr(config, name)})) == settings_key(config)


def test_a_translation_refused_after_a_lint_is_refused_by_the_build(
    example_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = example_project
    assert run(capsys, root, "build")[0] == 0
    edit(
        root / "templates_src/_locales/fr/LC_MESSAGES/messages.po",
        'msgstr "Inscription confirmée : {eventName}"',
        'msgstr "Inscription confirmée"',
    )
    code, text = run(capsys, root, "lint")
    assert code == 1 and "KM701 fr: the translation drops token {eventName}" in text
    code, text = run(capsys, root, "build")
    assert code == 1 and "KM701 fr" in text, text
    assert not (root / "build/attendance-confirmation.fr.json").exists()
    assert (root / "build/attendance-confirmation.en.json").exists()
    assert outputs(root) == fresh_outputs(root, tmp_path, capsys)
