"""Client support from the Can I email data: the shipped file, client targets, the data-driven rules
at the designer's line, MSO and @media scoping, dark mode, and the clients and compat commands."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.errors import ConfigError, Location
from kmsg_authoring.lint.caniemail import DEFAULT_CLIENTS, load, select_clients
from tests.conftest import CORPUS, REPO, corpus_files, requires_corpus
from tests.lint.conftest import LintFn, template_files, write

SNAPSHOT = REPO.parent / "shared" / "caniemail"
requires_snapshot = pytest.mark.skipif(
    not (SNAPSHOT / "_features").is_dir(),
    reason="../shared/caniemail is absent (the Can I email snapshot ships beside the repository in CI only)",
)
DATA_DIR = REPO / "kmsg_authoring" / "lint" / "data"


def only(problems: list, code: str) -> list:  # type: ignore[type-arg]
    return [p for p in problems if p.code == code]


def clients_toml(*globs: str) -> str:
    return "[lint]\nclients = [" + ", ".join(json.dumps(g) for g in globs) + "]\n"


# -- the data -------------------------------------------------------------------------------------------
@requires_snapshot
def test_shipped_data_is_what_the_script_makes_from_the_snapshot(tmp_path: Path) -> None:
    out = tmp_path / "caniemail.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "caniemail_data.py"), str(SNAPSHOT), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == (DATA_DIR / "caniemail.json").read_text(encoding="utf-8")
    assert (tmp_path / "caniemail-LICENSE").read_bytes() == (DATA_DIR / "caniemail-LICENSE").read_bytes()
    features = sorted(p.stem for p in (SNAPSHOT / "_features").glob("*.md") if not p.name.startswith("_"))
    assert sorted(json.loads(out.read_text(encoding="utf-8"))["features"]) == features


def test_license_and_attribution_ship_beside_the_data() -> None:
    assert "MIT License" in (DATA_DIR / "caniemail-LICENSE").read_text(encoding="utf-8")
    assert "caniemail.com" in (DATA_DIR / "CANIEMAIL.txt").read_text(encoding="utf-8")
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "lint/data/*" in pyproject


def test_features_cover_what_templates_use() -> None:
    data = load()
    assert data.features["css-display-flex"].match["values"]["display"] == ["flex", "inline-flex"]
    assert "css-unit-rem" in data.units["rem"]
    assert "css-pseudo-class-hover" in data.selectors[":hover"]
    assert "html-svg" in [slug for _, _, slug in data.elements["svg"]]
    assert "image-webp" in data.images["webp"] and "image-svg" in data.images["image/svg+xml"]
    assert data.features["css-display-flex"].url == "https://www.caniemail.com/features/css-display-flex/"


def test_client_globs_select_family_platforms() -> None:
    known = load().clients
    assert select_clients(["gmail.*"], known) == (
        "gmail.android",
        "gmail.desktop-webmail",
        "gmail.ios",
        "gmail.mobile-webmail",
    )
    assert select_clients(["outlook"], known) == tuple(c for c in known if c.startswith("outlook."))
    assert set(DEFAULT_CLIENTS) <= set(known)
    with pytest.raises(ConfigError, match=re.escape("'gmial.*' matches no known client")):
        select_clients(["gmial.*"], known)


# -- known cases from the data, at the designer's line --------------------------------------------------
def test_display_flex_in_a_linked_stylesheet_is_unsupported_in_outlook_for_windows(lint_one: LintFn) -> None:
    files = {"templates_src/_styles/main.css": ".a { color: red; }\n.row {\n  display: flex;\n}\n"}
    body = '<link rel="stylesheet" href="../_styles/main.css">\n<p class="row">x</p>'
    problems = only(lint_one(body=body, files=files, toml=clients_toml("outlook.windows", "gmail.android")), "KM611")
    flex = [p for p in problems if "display:flex" in p.message]
    assert len(flex) == 1
    assert flex[0].location == Location("templates_src/_styles/main.css", 3, 3)
    assert "'display: flex'" in flex[0].message
    assert "unsupported in Outlook (Windows)" in flex[0].message
    assert "partial in Gmail (Android) (not supported with non Google accounts)" in flex[0].message
    assert flex[0].message.endswith("see https://www.caniemail.com/features/css-display-flex/")


def test_display_flex_in_a_partial_is_located_there(lint_one: LintFn) -> None:
    files = {
        "templates_src/_partials/row.html": '<table>\n<tr><td>\n<div style="color:red;display:flex">x</div>'
        "</td></tr></table>\n"
    }
    body = '{% include "_partials/row.html" %}'
    problems = only(lint_one(body=body, files=files, toml=clients_toml("outlook.windows")), "KM611")
    assert [(p.location.path, p.location.line) for p in problems] == [("templates_src/_partials/row.html", 3)]


def test_svg_is_unsupported_in_gmail(lint_one: LintFn) -> None:
    body = '<p>Logo:</p>\n<svg width="10" height="10"><rect width="10" height="10"/></svg>'
    problems = only(lint_one(body=body, toml=clients_toml("gmail.*", "apple-mail.ios")), "KM614")
    assert len(problems) == 1
    assert problems[0].location == Location("templates_src/t/body.html", 6, 1)
    assert "'<svg>'" in problems[0].message and "Gmail (Desktop Webmail)" in problems[0].message
    assert "Apple Mail" not in problems[0].message  # it supports inline SVG


def test_prefers_color_scheme_is_reported_where_the_data_says_it_is_missing(lint_one: LintFn) -> None:
    body = "<style>\np { color: #111; }\n@media (prefers-color-scheme: dark) {\n  p { color: #eee; }\n}\n</style>\n<p>x</p>"  # noqa: E501
    toml = clients_toml("gmail.desktop-webmail", "outlook.windows", "apple-mail.*", "aol.ios")
    problems = [p for p in only(lint_one(body=body, toml=toml), "KM612") if "prefers-color-scheme" in p.message]
    assert len(problems) == 1
    assert problems[0].location == Location("templates_src/t/body.html", 7, 1)
    feature = load().features["css-at-media-prefers-color-scheme"]
    for client in ("gmail.desktop-webmail", "outlook.windows", "apple-mail.ios", "apple-mail.macos", "aol.ios"):
        named = load().name(client) in problems[0].message
        assert named == (feature.on(client).value in ("n", "a")), client
    assert "unsupported in Gmail (Desktop Webmail), Outlook (Windows)" in problems[0].message


def test_partial_support_is_reported_with_its_note_when_asked(lint_one: LintFn) -> None:
    body = '<div style="display:flex">x</div>'
    toml = clients_toml("gmail.ios")
    assert only(lint_one(body=body, toml=toml), "KM611") == []
    toml += "[lint.options.client-unsupported-css]\npartial = true\n"
    found = only(lint_one(body=body, toml=toml), "KM611")
    assert [p.message.split(";")[0] for p in found if "(display:flex)" in p.message] == [
        "'display: flex' (display:flex) partial in Gmail (iOS) (not supported with non Google accounts)"
    ]


def test_image_formats_by_extension_and_data_uri(lint_one: LintFn) -> None:
    body = (
        '<img src="https://e.example.com/a.webp?v=2" alt="A">\n'
        '<img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=" alt="B">'
    )
    problems = only(lint_one(body=body, toml=clients_toml("outlook.windows", "gmail.desktop-webmail")), "KM615")
    assert {(p.message.split("'")[1], p.location.line) for p in problems} == {
        (".webp", 5),
        ("image/svg+xml", 6),
        ("base64", 6),
    }
    webp = next(p for p in problems if ".webp" in p.message)
    assert "unsupported in Outlook (Windows); partial in Gmail (Desktop Webmail)" in webp.message


def test_selectors_and_units(lint_one: LintFn) -> None:
    body = "<style>\na:hover { color: red; }\np { font-size: 1.5rem; }\n</style><p>x</p>"
    problems = lint_one(body=body, toml=clients_toml("outlook.windows", "gmail.*"))
    hover = [p for p in only(problems, "KM613") if ":hover" in p.message]
    assert hover and hover[0].location == Location("templates_src/t/body.html", 6, 1)
    rem = [p for p in only(problems, "KM611") if "rem unit" in p.message]
    assert [p.location for p in rem] == [Location("templates_src/t/body.html", 7, 5)]


# -- MSO conditional comments and @media --------------------------------------------------------------
def test_mso_only_features_are_judged_for_outlook_windows_alone(lint_one: LintFn) -> None:
    # position is unsupported in Gmail and Outlook for Windows; inside [if mso] only Outlook reads it.
    body = '<!--[if mso]>\n<div style="position:relative">x</div>\n<![endif]-->'
    problems = only(lint_one(body=body, toml=clients_toml("gmail.desktop-webmail", "outlook.windows")), "KM611")
    assert len(problems) == 1 and "Outlook (Windows)" in problems[0].message
    assert "Gmail" not in problems[0].message
    assert problems[0].location.line == 6
    assert only(lint_one(body=body, toml=clients_toml("gmail.desktop-webmail")), "KM611") == []


def test_content_hidden_from_mso_is_not_judged_for_outlook_windows(lint_one: LintFn) -> None:
    body = '<!--[if !mso]><!-->\n<div style="display:flex">x</div>\n<!--<![endif]-->'
    assert only(lint_one(body=body, toml=clients_toml("outlook.windows")), "KM611") == []
    plain = '<div style="display:flex">x</div>'
    assert only(lint_one(body=plain, toml=clients_toml("outlook.windows")), "KM611") != []


def test_features_inside_media_are_judged_for_clients_that_apply_it(lint_one: LintFn) -> None:
    inside = "<style>@media screen and (max-width: 600px) { .b { border-radius: 4px; } }</style><p>x</p>"
    outside = "<style>.b { border-radius: 4px; }</style><p>x</p>"
    toml = clients_toml("outlook.windows")  # no @media and no border-radius there
    assert [p for p in only(lint_one(body=inside, toml=toml), "KM611") if "border-radius" in p.message] == []
    assert [p for p in only(lint_one(body=outside, toml=toml), "KM611") if "border-radius" in p.message] != []


# -- settings -----------------------------------------------------------------------------------------
def test_a_template_can_target_its_own_clients(lint_one: LintFn) -> None:
    body = '<div style="display:flex">x</div>'
    extra = "kmsg:\n  lint:\n    clients: [apple-mail.*]\n"
    assert only(lint_one(body=body, toml=clients_toml("outlook.windows"), extra=extra), "KM611") == []


def test_an_unknown_client_is_a_located_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, {**template_files('<div style="display:flex">x</div>'), "kmsg.toml": clients_toml("outlok.*")})
    assert main(["-C", str(tmp_path), "lint"]) == 2
    err = capsys.readouterr().err
    assert "kmsg.toml" in err and "'outlok.*' matches no known client" in err and "did you mean" in err


def test_client_rules_warn_by_default_gate_with_strict_and_take_a_severity(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(
        tmp_path,
        {**template_files('<p>x</p>\n<div style="display:flex">x</div>'), "kmsg.toml": clients_toml("outlook.windows")},
    )
    assert main(["-C", str(tmp_path), "lint"]) == 0
    out = capsys.readouterr().out
    assert (
        "templates_src/t/body.html:6:13: KM611 'display: flex' (display:flex) unsupported in Outlook (Windows)" in out
    )
    assert main(["-C", str(tmp_path), "lint", "--strict"]) == 1
    (tmp_path / "kmsg.toml").write_text(clients_toml("outlook.windows") + '[lint.severity]\nKM611 = "error"\n')
    assert main(["-C", str(tmp_path), "lint"]) == 1
    (tmp_path / "kmsg.toml").write_text('[lint]\nclients = ["outlook.windows"]\ndisable = ["client-unsupported-css"]\n')
    capsys.readouterr()
    assert main(["-C", str(tmp_path), "lint", "--strict"]) == 0


# -- dark mode ----------------------------------------------------------------------------------------
def test_dark_mode_rules_without_meta_name_what_is_missing(lint_one: LintFn) -> None:
    body = (
        '<meta name="color-scheme" content="light dark">\n'
        '<style>\n[data-ogsc] .t { color: #fff !important; }\n</style><p class="t">x</p>'
    )
    problems = only(lint_one(body=body), "KM621")
    assert len(problems) == 1
    assert 'without <meta name="supported-color-schemes">' in problems[0].message
    assert problems[0].location.line == 7


def test_text_colour_and_transparent_images_without_background(lint_one: LintFn) -> None:
    body = (
        '<table><tr><td style="color:#333333">a</td></tr></table>\n'
        '<table style="background-color:#fff"><tr><td style="color:#333333">b</td></tr></table>\n'
        '<img src="https://e.example.com/logo.svg" alt="Logo">\n'
        '<img src="https://e.example.com/photo.jpg" alt="Photo">'
    )
    problems = lint_one(body=body)
    assert [p.location.line for p in only(problems, "KM622")] == [5]
    assert [p.location.line for p in only(problems, "KM623")] == [7]


# -- commands -----------------------------------------------------------------------------------------
def test_clients_command_lists_clients_and_marks_the_targets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, {**template_files(), "kmsg.toml": clients_toml("gmail.*")})
    assert main(["-C", str(tmp_path), "clients"]) == 0
    lines = capsys.readouterr().out.splitlines()
    marked = [line.split()[1] for line in lines if line.startswith("* ")]
    assert marked == ["gmail.android", "gmail.desktop-webmail", "gmail.ios", "gmail.mobile-webmail"]
    assert any(line.split()[0] == "outlook.windows" for line in lines if not line.startswith("*") and line.strip())
    assert "from [lint] clients in kmsg.toml" in lines[-1]


def test_compat_command_summarises_each_template(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = (
        "<style>.x { color: red; }\n@media (max-width: 600px) { .x { color: blue; } }</style>\n"
        '<div class="x" style="display:flex">x</div>'
    )
    write(tmp_path, {**template_files(body), "kmsg.toml": clients_toml("apple-mail.*", "outlook.windows")})
    assert main(["-C", str(tmp_path), "compat"]) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith("t: fully supported in ") and " of 3 targeted clients; partial in " in first
    assert "Outlook (Windows) lacks" in first
    assert "note: the compiled body depends on its media queries: stripped by Outlook (Windows)" in text

    assert main(["-C", str(tmp_path), "compat", "t", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    flex = next(f for f in data[0]["features"] if f["feature"] == "css-display-flex")
    assert flex["support"] == {
        "apple-mail.ios": "supported",
        "apple-mail.macos": "supported",
        "outlook.windows": "unsupported",
    }
    assert flex["location"] == "templates_src/t/body.html:7:23"
    assert {c["client"]: c["status"] for c in data[0]["clients"]}["outlook.windows"] == "unsupported"

    assert main(["-C", str(tmp_path), "compat", "--format", "markdown"]) == 0
    md = capsys.readouterr().out
    assert "| Feature | Apple Mail (iOS) | Apple Mail (macOS) | Outlook (Windows) |" in md
    assert "| [display:flex](https://www.caniemail.com/features/css-display-flex/) | yes | yes | **no** |" in md


# -- the corpus ---------------------------------------------------------------------------------------
@requires_corpus
@pytest.mark.corpus
def test_every_corpus_file_lints_with_the_data_driven_rules(tmp_path: Path) -> None:
    from kmsg_authoring.compile import compile_template
    from kmsg_authoring.lint.compat import summarize
    from kmsg_authoring.project.lint import lint_project
    from kmsg_authoring.source.config import load_config
    from tests.corpus_project import make_corpus_project

    slugs = make_corpus_project(tmp_path, corpus_files(), CORPUS, keep_remote=True)
    config = load_config(tmp_path)
    report = lint_project(config, slugs, use_cache=False)
    assert not [p for p in report.problems if p.code == "KM001"]
    found = {p.code for p in report.problems}
    assert {"KM611", "KM612", "KM613"} <= found
    for p in report.problems:
        if p.code.startswith("KM6"):
            assert p.location.path.startswith(f"templates_src/{p.template}/") and p.location.line >= 1, p
    for slug in slugs:
        assert summarize(compile_template(config, slug), config).overall


def test_style_in_the_body_is_unsupported_where_the_data_says_so(lint_one: LintFn) -> None:
    files = {
        "templates_src/_layouts/base.html": '<!DOCTYPE html>\n<html lang="en">\n<head>\n'
        "<style>p { color: #111; }</style>\n</head>\n<body>\n{% block content %}{% endblock %}\n</body>\n</html>\n"
    }
    body = (
        '{% extends "_layouts/base.html" %}{% block content %}\n<style>p { margin: 0; }</style>\n'
        "<p>Hi {recipient.firstName}</p>{% endblock %}"
    )
    problems = only(lint_one(body=body, files=files, page=False, toml=clients_toml("gmail.desktop-webmail")), "KM614")
    assert [(p.location.path, p.location.line) for p in problems] == [("templates_src/t/body.html", 2)]
    assert problems[0].message.startswith(
        "'<style> in <body>' (<style> element) unsupported in Gmail (Desktop Webmail)"
    )


def test_a_remote_stylesheet_is_reported_once_with_the_targeted_clients_that_ignore_link(lint_one: LintFn) -> None:
    """KM602 names the clients from the <link> feature of the data; KM614 leaves that <link> to it."""
    body = (
        '<link rel="stylesheet" href="https://fonts.example.com/a.css">'
        '<link rel="preconnect" href="https://fonts.example.com"><p>x</p>'
    )
    problems = lint_one(body=body, toml=clients_toml("gmail.desktop-webmail", "apple-mail.ios"))
    (remote,) = only(problems, "KM602")
    assert "'https://fonts.example.com/a.css' is kept as written and never downloaded" in remote.message
    assert "unsupported in Gmail (Desktop Webmail)" in remote.message and "Apple Mail" not in remote.message
    assert "https://www.caniemail.com/features/html-link/" in remote.message
    # The preconnect <link> is no remote stylesheet: client-unsupported-html still reports it, once.
    (link,) = [p for p in only(problems, "KM614") if "<link>" in p.message]
    assert "(+1 more" not in link.message
    alone = lint_one(
        body='<link rel="stylesheet" href="https://fonts.example.com/a.css"><p>x</p>',
        toml=clients_toml("gmail.desktop-webmail"),
    )
    assert [p for p in only(alone, "KM614") if "<link>" in p.message] == []
    assert len(only(alone, "KM602")) == 1
    # A targeted list whose clients all read <link>: the finding is about the build alone.
    (apple,) = only(lint_one(body=body, toml=clients_toml("apple-mail.ios")), "KM602")
    assert apple.message.endswith("never downloaded")
