"""`kmsg-author build`: outputs, bad input, incremental rebuilds, byte-identical output."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.cli import main
from kmsg_authoring.source.config import load_config
from kmsg_authoring.model import READ_ONLY_FIELDS
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
# The example attendance confirmation is built once per locale of kmsg.toml's [i18n].
EXAMPLE_KEYS = [
    "attendance-confirmation.en",
    "attendance-confirmation.fr",
    "attendance-confirmation.he",
    "event-invitation",
    "follow-up",
    "reminder",
]


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_examples_build_into_add_payloads(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0, err
    assert "built 4 of 4 templates" in out
    build = example_project / "build"
    manifest = json.loads((build / "manifest.json").read_text())["templates"]
    assert sorted(manifest) == EXAMPLE_KEYS
    for slug, entry in manifest.items():
        payload = json.loads((build / f"{slug}.json").read_text())
        assert not set(payload) & set(READ_ONLY_FIELDS)
        assert payload["body"] == (build / f"{slug}.html").read_text()
        assert entry["numberOfTokenUsed"] >= 2
        assert all(t["path"].startswith("templates_src/") for t in entry["tokens"])
    invitation = json.loads((build / "event-invitation.json").read_text())
    assert invitation["fromName"] == "Acme Events"  # Jinja-rendered from kmsg.toml's [brand]
    assert invitation["subject"] == "You're invited to {eventName}"
    assert '<a class="button" href="{joinLink}"' in invitation["body"]
    assert "<style" in invitation["body"] and "@media" in invitation["body"]  # non-inlinable rules kept
    assert "data-kmsg-loc" not in invitation["body"] and "kmsgtk" not in invitation["body"]
    follow_up = json.loads((build / "follow-up.json").read_text())
    assert follow_up["unsubscribeGroups"] == ["event-follow-ups"]
    assert 'href="{unsubLink}"' in follow_up["body"]


def test_two_builds_are_byte_identical(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    first = {p.name: p.read_bytes() for p in (example_project / "build").glob("*.*") if p.suffix != ".sqlite"}
    shutil.rmtree(example_project / "build")
    assert run_cli(capsys, "-C", str(example_project), "build", "--no-cache")[0] == 0
    second = {p.name: p.read_bytes() for p in (example_project / "build").glob("*.*") if p.suffix != ".sqlite"}
    assert first == second and len(first) == 2 * len(EXAMPLE_KEYS) + 1


def test_incremental_rebuild_recompiles_only_what_changed(example_project: Path) -> None:
    config = load_config(example_project)
    assert sorted(build_project(config).rebuilt) == EXAMPLE_KEYS
    assert build_project(config).rebuilt == []
    body = example_project / "templates_src/reminder/body.html"
    body.write_text(body.read_text().replace("quick reminder", "short reminder"))
    report = build_project(config)
    assert report.rebuilt == ["reminder"]
    assert "short reminder" in (example_project / "build/reminder.html").read_text()
    # A partial is a dependency of exactly the templates that include it.
    button = example_project / "templates_src/_partials/button.html"
    button.write_text(button.read_text().replace('class="button"', 'class="button cta"'))
    assert sorted(build_project(config).rebuilt) == ["event-invitation", "follow-up", "reminder"]
    # The shared stylesheet reaches every HTML template; the MJML one has its styles in its own layout.
    css = example_project / "templates_src/_styles/main.css"
    css.write_text(css.read_text().replace("#f4f5f7", "#f5f5f5"))
    assert sorted(build_project(config).rebuilt) == ["event-invitation", "follow-up", "reminder"]
    layout = example_project / "templates_src/_layouts/base.mjml"
    layout.write_text(layout.read_text().replace("#f4f5f7", "#f5f5f5"))
    assert sorted(build_project(config).rebuilt) == EXAMPLE_KEYS[:3]
    # A new sample file is a change too (samples are validated by the build).
    sample = example_project / "templates_src/follow-up/samples/other.yaml"
    sample.write_text((example_project / "templates_src/follow-up/samples/default.yaml").read_text())
    assert build_project(config).rebuilt == ["follow-up"]


def test_a_damaged_cache_is_rebuilt(example_project: Path) -> None:
    config = load_config(example_project)
    build_project(config)
    (example_project / "build/.cache.sqlite").write_bytes(b"not a database")
    for suffix in ("-wal", "-shm"):
        Path(f"{example_project}/build/.cache.sqlite{suffix}").unlink(missing_ok=True)
    report = build_project(config)
    assert len(report.rebuilt) == len(EXAMPLE_KEYS) and not report.failures


BAD_INPUTS: dict[str, tuple[dict[str, str | bytes], str]] = {
    "bad-yaml": ({"t/template.yaml": "name: [unclosed\nsubject: x\n"}, "t/template.yaml:2:"),
    "unknown-field": (
        {"t/template.yaml": MINIMAL_YAML + "subjet: Hi\n"},
        "t/template.yaml:6:1: KM001 unknown field 'subjet' (did you mean 'subject'?)",
    ),
    "wrong-type": (
        {"t/template.yaml": MINIMAL_YAML + "unsubscribeGroups: event-updates\n"},
        "t/template.yaml:6:1: KM001 unsubscribeGroups: expected array",
    ),
    "jinja-syntax": ({"t/body.html": "<p>\n{% if x %}\n<b>never closed</b>\n"}, "t/body.html:"),
    "missing-include": (
        {"t/body.html": "<p>a</p>\n{% include '_partials/nope.html' %}\n"},
        "t/body.html:2:12: KM001 template '_partials/nope.html' not found",
    ),
    "circular-include": (
        {
            "_partials/a.html": "{% include '_partials/b.html' %}",
            "_partials/b.html": "{% include '_partials/a.html' %}",
            "t/body.html": "<p>x</p>{% include '_partials/a.html' %}",
        },
        "circular {% include %}",
    ),
    "non-utf8": ({"t/body.html": b"<p>caf\xe9</p>\n"}, "t/body.html:1:7: KM001 not valid UTF-8"),
    "double-braces": (
        {"t/body.html": "<p>\nHi {{recipient.firstName}}</p>\n"},
        "t/body.html:2:4: KM001 'recipient' is undefined at build time; for a send-time token write "
        "single braces: {recipient.firstName}",
    ),
    "undefined": ({"t/body.html": "<p>{{ colour }}</p>\n"}, "'colour' is undefined at build time"),
    "remote-css-refused": (
        {
            "t/template.yaml": MINIMAL_YAML + "kmsg: {remote_stylesheets: error}\n",
            "t/body.html": '<html><head>\n<link rel="stylesheet" href="https://fonts.example.com/a.css">'
            "</head><body><p>x</p></body></html>",
        },
        "t/body.html:2:1: KM001 remote stylesheet 'https://fonts.example.com/a.css' is never downloaded",
    ),
    "missing-css": (
        {"t/body.html": '<p>x</p>\n  <link rel="stylesheet" href="nope.css"><p>x</p>'},
        "t/body.html:2:3: KM001 stylesheet 'nope.css' not found",
    ),
    "css-outside": (
        {"t/body.html": '<link rel="stylesheet" href="../../../etc/passwd"><p>x</p>'},
        "stylesheet '../../../etc/passwd' is outside the project",
    ),
    "missing-body": ({"t/body.html": None}, "t/body.html:1:1: KM001 missing body.html"),  # type: ignore[dict-item]
    "yaml-not-mapping": ({"t/template.yaml": "- a\n- b\n"}, "expected a mapping"),
    "reserved-text": ({"t/body.html": "<p>\n  kmsgtk000000q</p>"}, "t/body.html:2:3: KM001 'kmsgtk' is reserved"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS), ids=sorted(BAD_INPUTS))
def test_bad_input_is_reported_with_its_location_and_others_still_build(
    make_project: Project, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    files, message = BAD_INPUTS[case]
    tree: dict[str, str | bytes] = {
        "templates_src/t/template.yaml": MINIMAL_YAML,
        "templates_src/t/body.html": MINIMAL_BODY,
        "templates_src/ok/template.yaml": MINIMAL_YAML,
        "templates_src/ok/body.html": MINIMAL_BODY,
    }
    for rel, content in files.items():
        if content is None:
            tree.pop(f"templates_src/{rel}")
        else:
            tree[f"templates_src/{rel}"] = content
    root = make_project(tree)
    # A stale output of the broken template must not survive a failed build.
    (root / "build").mkdir()
    (root / "build/t.json").write_text("{}")
    code, out, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 1
    assert message in err, err
    # Every failure reads as lint prints findings: path:line:col: CODE message.
    assert re.match(r"templates_src/\S+:\d+:\d+: KM\d{3} ", err), err
    assert err.startswith("templates_src/t/" if case != "circular-include" else "templates_src/_partials/")
    assert "Traceback" not in err + out
    assert (root / "build/ok.json").is_file()
    assert not (root / "build/t.json").exists()
    assert "1 failed" in out


def test_unclosed_tags_build_without_a_traceback(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(
        {
            "templates_src/t/template.yaml": MINIMAL_YAML,
            "templates_src/t/body.html": "<html lang='en'><body><table><tr><td><p>Hi {recipient.firstName}",
        }
    )
    code, out, err = run_cli(capsys, "-C", str(root), "build")
    assert "Traceback" not in out + err
    assert code in (0, 1)
    if code == 0:
        assert "{recipient.firstName}" in (root / "build/t.html").read_text()
    else:
        assert "templates_src/t/body.html:" in err


def test_local_stylesheet_link_is_inlined(make_project: Project) -> None:
    root = make_project(
        {
            "templates_src/_styles/x.css": ".hi { color: #123456; }\n@media (max-width: 600px) { .hi { color: red; } }\n",  # noqa: E501
            "templates_src/t/template.yaml": MINIMAL_YAML,
            "templates_src/t/body.html": (
                '<html><head><link rel="stylesheet" href="../_styles/x.css"></head>'
                '<body><p class="hi">Hi {recipient.firstName}</p></body></html>'
            ),
        }
    )
    report = build_project(load_config(root))
    assert not report.failures
    body = report.compiled["t"].body
    assert 'style="color: #123456;"' in body and "@media (max-width: 600px)" in body and "<link" not in body
    assert "templates_src/_styles/x.css" in report.compiled["t"].dependencies


def test_remote_stylesheet_can_be_kept_untouched(make_project: Project) -> None:
    root = make_project(
        {
            "templates_src/t/template.yaml": MINIMAL_YAML + "kmsg: {remote_stylesheets: keep}\n",
            "templates_src/t/body.html": (
                '<html><head><link href="https://fonts.example.com/a.css" rel="stylesheet">'
                "</head><body><p>Hi {recipient.firstName}</p></body></html>"
            ),
        }
    )
    report = build_project(load_config(root))
    assert not report.failures
    assert '<link href="https://fonts.example.com/a.css" rel="stylesheet">' in report.compiled["t"].body


def test_jinja_off_keeps_other_template_syntax(make_project: Project) -> None:
    root = make_project(
        {
            "templates_src/t/template.yaml": MINIMAL_YAML + "kmsg: {jinja: false}\n",
            "templates_src/t/body.html": "<p>Hi {{ name }} {recipient.firstName} {% raw %}</p>",
        }
    )
    compiled = build_project(load_config(root)).compiled["t"]
    assert "{{ name }}" in compiled.body and "{% raw %}" in compiled.body
    assert [t.raw for t in compiled.tokens if t.where == "text"] == ["{recipient.firstName}"]


def test_premailer_engine_builds_the_examples(example_project: Path) -> None:
    toml = example_project / "kmsg.toml"
    toml.write_text(toml.read_text().replace('inliner = "css-inline"', 'inliner = "premailer"'))
    report = build_project(load_config(example_project))
    assert not report.failures, report.failures
    assert 'href="{joinLink}"' in report.compiled["event-invitation"].body


def test_bad_config_is_a_usage_error(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project(
        {
            "kmsg.toml": '[build]\ninliner = "juice"\n',
            "templates_src/t/template.yaml": MINIMAL_YAML,
            "templates_src/t/body.html": MINIMAL_BODY,
        }
    )
    code, _, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 2 and "kmsg.toml" in err and "juice" in err


def test_unknown_template_is_a_usage_error(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "-C", str(example_project), "build", "no-such-template")
    assert code == 2 and "no template 'no-such-template'" in err


def test_new_scaffolds_a_template_that_builds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys, "-C", str(tmp_path), "new", "welcome")
    assert code == 0 and "templates_src/welcome/template.yaml" in out
    code, out, err = run_cli(capsys, "-C", str(tmp_path), "build")
    assert code == 0, err
    assert run_cli(capsys, "-C", str(tmp_path), "new", "welcome")[0] == 2
    assert run_cli(capsys, "-C", str(tmp_path), "new", "Bad Slug")[0] == 2


def test_schema_command_prints_a_schema_the_examples_satisfy(capsys: pytest.CaptureFixture[str]) -> None:
    import jsonschema
    import yaml

    code, out, _ = run_cli(capsys, "schema")
    assert code == 0
    schema = json.loads(out)
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for path in Path("templates_src").glob("*/template.yaml"):
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text()))), path
    assert list(validator.iter_errors({"name": "x"}))  # required fields missing


def test_command_line_entry_point_runs_as_a_module(example_project: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", "build"],
        cwd=example_project,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert (example_project / "build/reminder.json").is_file()


def test_inline_css_off_sends_the_body_exactly_as_written(make_project: Project) -> None:
    body = "<p style='color:red'>Hi {recipient.firstName}</p>\r\n<style>p{margin:0}</style><!-- {x} -->"
    root = make_project(
        {
            "templates_src/t/template.yaml": MINIMAL_YAML + "kmsg: {jinja: false, inline_css: false}\n",
            "templates_src/t/body.html": body.encode(),
        }
    )
    compiled = build_project(load_config(root)).compiled["t"]
    assert compiled.body == body
    assert [t.where for t in compiled.tokens if t.name == "recipient" and t.offset >= 0] == ["text"]


def test_templates_built_by_the_command_load_for_lint_and_preview(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    config = load_config(example_project)
    first = build_project(
        config, None, BuildOptions(write=False, lint_cached=True)
    )  # records were not kept: compiled again
    assert sorted(first.compiled) == sorted(first.rebuilt) and len(first.compiled) == len(EXAMPLE_KEYS)
    second = build_project(config, None, BuildOptions(write=False, lint_cached=True))  # now they come from the cache
    assert second.rebuilt == [] and sorted(second.compiled) == sorted(first.compiled)
    assert {s: c.body for s, c in second.compiled.items()} == {s: c.body for s, c in first.compiled.items()}


def test_xhtml_with_an_xml_declaration_places_tokens(make_project: Project) -> None:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
        '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>'
        '<body><p>Café {recipient.firstName}</p><a href="{joinLink}">Join</a></body></html>'
    )
    yaml_text = MINIMAL_YAML + "  joinLink: {type: MagicLink}\nkmsg: {jinja: false, inline_css: false}\n"
    root = make_project({"templates_src/t/template.yaml": yaml_text, "templates_src/t/body.html": body})
    compiled = build_project(load_config(root), None, BuildOptions(lint=False)).compiled["t"]
    assert compiled.body == body
    where = {(t.raw, t.where, t.attribute) for t in compiled.tokens if t.offset >= 0}
    assert where == {("{recipient.firstName}", "text", None), ("{joinLink}", "attribute", "href")}


@pytest.mark.parametrize("umask", [0o022, 0o027], ids=["umask-022", "umask-027"])
def test_outputs_and_scaffolds_follow_the_umask(example_project: Path, umask: int) -> None:
    """build/ outputs and the files `new` writes get 0666 minus the umask, not mkstemp's 0600."""
    import os

    def run(*argv: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "kmsg_authoring", "-C", str(example_project), *argv],
            check=True,
            capture_output=True,
            preexec_fn=lambda: os.umask(umask),
        )

    run("build")
    run("new", "fresh-one")
    expected = 0o666 & ~umask
    files = [
        example_project / "build/reminder.json",
        example_project / "build/manifest.json",
        example_project / "templates_src/fresh-one/template.yaml",
    ]
    assert {f.name: oct(f.stat().st_mode & 0o777) for f in files} == {f.name: oct(expected) for f in files}


def test_examples_show_offline_and_name_their_sender(example_project: Path) -> None:
    """No example depends on a remote image (the logo is text), and every one sets from and fromName."""
    from lxml import html as lxml_html

    from kmsg_authoring.compile import compile_template
    from kmsg_authoring.source.project import discover

    config = load_config(example_project)
    for slug in discover(config.src_dir):
        payload = compile_template(config, slug).payload
        assert payload.get("from") and payload.get("fromName") == "Acme Events", slug
        for img in lxml_html.fromstring(payload["body"]).iter("img"):
            src = img.get("src") or ""
            assert src.startswith(("{", "data:")), (slug, src)  # a send-time token or inline data only
