"""MJML bodies: compiled through MRML after Jinja, checked at the designer's line, tokens kept verbatim."""

from __future__ import annotations

import json
import re
import tempfile
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kmsg_authoring.project.build import build_project
from kmsg_authoring.cli import main
from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.mjml_html import minify
from kmsg_authoring.errors import BuildError, ConfigError, Location, SourceError
from kmsg_authoring.model import TOKEN_TYPES, find_tokens
from kmsg_authoring.source.config import load_config
from tests.mjml_project import BODY, LAYOUT, YAML, mjml_files


def line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


def test_the_test_set_covers_every_token_type() -> None:
    declared = set(re.findall(r"type: (\w+)", YAML))
    assert declared == set(TOKEN_TYPES)


def test_mjml_test_set_builds_lints_clean_and_tokens_keep_their_mjml_lines(make_project: Any, capsys: Any) -> None:
    root = make_project(mjml_files())
    assert main(["-C", str(root), "build"]) == 0
    assert main(["-C", str(root), "lint"]) == 0, capsys.readouterr().out
    payload = json.loads((root / "build/news.json").read_text(encoding="utf-8"))
    body = payload["body"]
    assert "<mj-" not in body and "kmsgtk" not in body and "data-kmsg-loc" not in body and "kmsgloc" not in body
    # Verbatim in the payload, wherever MRML put them.
    for token in ("{recipient.firstName}", "{eventName}", "{magic}", "{more}", "{unsub}", "{qr}"):
        assert token in body, token
    assert 'href="{magic}"' in body and 'src="{qr}"' in body and 'href="{unsub}"' in body
    assert "url('https://img.example.com/{eventName}.png')" in body  # background-url, as CSS
    assert 'background="https://img.example.com/{eventName}.png"' in body  # and as a table attribute
    assert "<!--[if mso]><p>Outlook readers: {eventName}</p><![endif]-->" in body
    assert re.search(r'class="[^"]*\bcol \{eventName\}"', body)  # css-class, on the column's div
    # mj-style inline="inline" is inlined; the other mj-style stays in the head.
    assert re.search(r'class="lead"[^>]*style="font-weight: bold', body)
    assert "@media (max-width: 480px) { .lead" in body
    manifest = json.loads((root / "build/manifest.json").read_text(encoding="utf-8"))["templates"]["news"]
    by = {}
    for t in manifest["tokens"]:
        by.setdefault((t["raw"], t["element"], t["attribute"]), t)
    assert by[("{magic}", "a", "href")]["path"] == "templates_src/news/body.mjml"
    assert by[("{magic}", "a", "href")]["line"] == line_of(BODY, "{magic}")
    assert by[("{qr}", "img", "src")]["line"] == line_of(BODY, "{qr}")
    assert by[("{qr}", "img", "src")]["col"] == BODY.splitlines()[line_of(BODY, "{qr}") - 1].index("{qr}") + 1
    assert by[("{unsub}", "a", "href")]["path"] == "templates_src/_partials/footer.mjml"
    bg = [t for t in manifest["tokens"] if t["raw"] == "{eventName}" and t["line"] == line_of(BODY, "background-url")]
    assert {(t["element"], t["attribute"]) for t in bg} >= {
        ("div", "style"),
        ("table", "background"),
        ("v:fill", "src"),
    }
    assert any(t["mso"] for t in bg)


def test_every_token_in_the_mjml_reaches_the_payload_once_per_place_mrml_writes_it(make_project: Any) -> None:
    root = make_project(mjml_files())
    compiled = compile_template(load_config(root), "news")
    written = [t for t in compiled.tokens if t.location.path.endswith(".mjml")]
    # Every reference written in the MJML is in the manifest at its line, and in the body.
    for raw, line in (
        ("{magic}", line_of(BODY, "{magic}")),
        ("{qr}", line_of(BODY, "{qr}")),
        ("{more}", line_of(BODY, 'href="{more}"')),
    ):
        assert any(t.raw == raw and t.location.line == line for t in written), raw
    assert compiled.body.count("{magic}") == 1 and compiled.body.count("{qr}") == 1
    assert compiled.body.count("{eventName} starts soon") == 1
    # None invented: the references in the body are exactly the ones the manifest lists.
    assert len(list(find_tokens(compiled.body))) == sum(1 for t in compiled.tokens if t.offset >= 0)


def test_lint_findings_point_at_the_mjml_element(make_project: Any, capsys: Any) -> None:
    files = mjml_files()
    files["templates_src/news/body.mjml"] = BODY.replace('alt="Logo" ', "")
    root = make_project(files)
    main(["-C", str(root), "lint", "--format", "json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    alt = [p for p in problems if "alt" in p["message"]]
    assert alt, problems
    assert alt[0]["path"] == "templates_src/news/body.mjml"
    assert alt[0]["line"] == line_of(BODY, 'src="https://img.example.com/logo.png"')


def test_token_findings_point_at_the_exact_mjml_position(make_project: Any, capsys: Any) -> None:
    files = mjml_files()
    files["templates_src/news/body.mjml"] = BODY.replace('href="{more}">Details', 'href="{mroe}">Details')
    root = make_project(files)
    assert main(["-C", str(root), "lint"]) == 1
    out = capsys.readouterr().out
    text = files["templates_src/news/body.mjml"]
    assert isinstance(text, str)
    line = line_of(text, "{mroe}")
    col = text.splitlines()[line - 1].index("{mroe}") + 1
    assert f"templates_src/news/body.mjml:{line}:{col}:" in out, out


BAD = [
    (
        "unknown-tag",
        "<mj-button mj-class",
        "<mj-buton mj-class",
        "Element mj-buton doesn't exist or is not registered (did you mean 'mj-button'?)",
        "<mj-buton",
    ),
    (
        "unclosed-tag",
        '<mj-column css-class="col {eventName}">',
        '<mj-column css-class="col {eventName}"><mj-column css-class="inner">',
        "<mj-column> is never closed: </mj-section> (line 13) comes before its </mj-column>",
        '<mj-column css-class="col',
    ),  # the inner column takes the outer one's </mj-column>
    (
        "unclosed-text",
        '<mj-text css-class="lead">Hi {recipient.firstName}, {eventName} starts soon.</mj-text>',
        '<mj-text css-class="lead">Hi {recipient.firstName}, {eventName} starts soon.',
        "<mj-text> is never closed: <mj-button> (line 7) comes before its </mj-text>",
        '<mj-text css-class="lead">',
    ),
    (
        "bad-value",
        'width="200px"',
        'width="wide"',
        "Attribute width on <mj-image> has invalid value: wide for type Unit, only accepts (px) units and 1 value(s)",
        "wide",
    ),
    (
        "bad-attribute",
        '<mj-column css-class="col',
        '<mj-column colr="red" css-class="col',
        "Attribute colr is illegal on <mj-column>",
        "colr",
    ),
    (
        "misplaced",
        '<mj-image src="{qr}"',
        '<mj-section><mj-text>x</mj-text></mj-section><mj-image src="{qr}"',
        "mj-section cannot be used inside mj-column, only inside: mj-attributes, mj-body, mj-wrapper",
        "<mj-section><mj-text>",
    ),
]


@pytest.mark.parametrize(("old", "new", "message", "at"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_mjml_is_a_located_error_with_no_output_and_the_others_still_build(
    make_project: Any, capsys: Any, old: str, new: str, message: str, at: str
) -> None:
    files = {
        **mjml_files("news"),
        **{k.replace("/news/", "/bad/"): v for k, v in mjml_files("news").items() if "/news/" in k},
    }
    bad = BODY.replace(old, new, 1)
    assert bad != BODY
    files["templates_src/bad/body.mjml"] = bad
    files["templates_src/bad/template.yaml"] = YAML.replace("MJML News", "Bad")
    root = make_project(files)
    assert main(["-C", str(root), "build"]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    line = line_of(bad, at)
    col = bad.splitlines()[line - 1].index(at) + 1
    assert f"templates_src/bad/body.mjml:{line}:{col}:" in text and message in text, text
    assert (root / "build/news.json").is_file() and not (root / "build/bad.json").exists()
    assert "Traceback" not in text


def test_both_bodies_is_an_error(make_project: Any) -> None:
    files = mjml_files()
    files["templates_src/news/body.html"] = "<p>hi</p>\n"
    root = make_project(files)
    with pytest.raises(SourceError, match=r"both body\.html and body\.mjml") as info:
        compile_template(load_config(root), "news")
    assert info.value.location is not None and info.value.location.path == "templates_src/news/body.mjml"


def test_mj_include_reads_project_files_and_no_others(make_project: Any, tmp_path: Path) -> None:
    files = mjml_files()
    files["templates_src/news/body.mjml"] = BODY.replace(
        '    <mj-section>\n      <mj-column>\n        <mj-image src="https://img.example.com/logo.png"',
        '    <mj-include path="../_partials/banner.mjml" />\n    <mj-include path="../_styles/extra.css" type="css" '
        'css-inline="inline" />\n    <mj-section>\n      <mj-column>\n        <mj-image src="https://img.example.com/logo.png"',
    )
    files["templates_src/_partials/banner.mjml"] = (
        '<mj-section>\n  <mj-column>\n    <mj-text css-class="banner">Banner for {eventName}</mj-text>\n'
        "  </mj-column>\n</mj-section>\n"
    )
    files["templates_src/_styles/extra.css"] = ".banner { color: #333333; }\n"
    root = make_project(files)
    compiled = compile_template(load_config(root), "news")
    assert "Banner for {eventName}" in compiled.body
    assert re.search(r'class="banner"[^>]*style="color: #333333', compiled.body)
    assert "templates_src/_partials/banner.mjml" in compiled.dependencies
    ref = next(t for t in compiled.tokens if t.location.path == "templates_src/_partials/banner.mjml")
    assert (ref.raw, ref.location.line) == ("{eventName}", 3)
    # A path leading out of the project (directly, or through a symlink) is refused where it is written.
    (tmp_path / "secret.mjml").write_text("<mj-section><mj-column><mj-text>secret</mj-text></mj-column></mj-section>")
    body = root / "templates_src/news/body.mjml"
    for path in ("../../../secret.mjml", str(tmp_path / "secret.mjml"), "../_partials/link.mjml"):
        (root / "templates_src/_partials/link.mjml").unlink(missing_ok=True)
        (root / "templates_src/_partials/link.mjml").symlink_to(tmp_path / "secret.mjml")
        body.write_text(files["templates_src/news/body.mjml"].replace("../_partials/banner.mjml", path))
        with pytest.raises(SourceError, match="outside the project") as info:
            compile_template(load_config(root), "news")
        assert info.value.location is not None
        assert info.value.location.path == "templates_src/news/body.mjml"
        assert info.value.location.line == line_of(body.read_text(), "<mj-include")


def test_mjml_options_in_kmsg_toml(make_project: Any) -> None:
    files = mjml_files()
    files["templates_src/news/body.mjml"] = BODY.replace(
        '<mj-text css-class="lead">',
        '<!-- a note for designers -->\n        <mj-text css-class="lead" font-family="Lato, sans-serif">',
    )
    root = make_project(files)
    default = compile_template(load_config(root), "news").body
    assert "<!-- a note for designers -->" in default and "fonts.googleapis.com/css?family=Lato" in default
    (root / "kmsg.toml").write_text(
        '[brand]\ncompany = "Acme"\n[build.mjml]\nkeep_comments = false\nminify = true\nfonts = {}\n'
    )
    other = compile_template(load_config(root), "news").body
    assert "a note for designers" not in other and "fonts.googleapis.com" not in other
    assert "<!--[if mso]><p>Outlook readers: {eventName}</p><![endif]-->" in other  # conditional comments stay
    assert "\n\n" not in other and len(other) < len(default)
    # Deterministic: the same sources give the same bytes.
    assert compile_template(load_config(root), "news").body == other


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("[build.mjml]\nkeep_comment = true\n", "unknown key 'keep_comment'"),
        ('[build.mjml]\nminify = "yes"\n', "minify must be true or false"),
        ('[build.mjml]\nfonts = ["Lato"]\n', "fonts must be a table"),
        ('[build.mjml]\nfonts = {Lato = "file:///etc/passwd"}\n', "fonts must be a table"),
        ("[build]\nmjml = 3\n", "[mjml] must be a table"),
    ],
)
def test_mjml_options_are_validated(tmp_path: Path, toml: str, message: str) -> None:
    (tmp_path / "kmsg.toml").write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert message in str(info.value)


def test_minify_keeps_preformatted_text_and_comments() -> None:
    html = "<p>a\n   b</p>\n\n<pre>x\n  y</pre><!--[if mso]>\n  <b>k</b>\n<![endif]-->"
    assert minify(html) == "<p>a b</p> <pre>x\n  y</pre><!--[if mso]>\n  <b>k</b>\n<![endif]-->"


def test_build_is_deterministic_and_cached(make_project: Any) -> None:
    root = make_project(mjml_files())
    first = build_project(load_config(root))
    body = (root / "build/news.json").read_bytes()
    shutil.rmtree(root / "build")
    second = build_project(load_config(root))
    assert first.ok and second.ok and (root / "build/news.json").read_bytes() == body


def test_new_mjml_scaffolds_a_template_that_builds_and_lints_clean(tmp_path: Path, capsys: Any) -> None:
    (tmp_path / "kmsg.toml").write_text("")
    assert main(["-C", str(tmp_path), "new", "hello", "--mjml"]) == 0
    assert "created templates_src/_layouts/base.mjml" in capsys.readouterr().out
    assert (tmp_path / "templates_src/hello/body.mjml").is_file()
    assert not (tmp_path / "templates_src/hello/body.html").exists()
    assert main(["-C", str(tmp_path), "build"]) == 0
    assert main(["-C", str(tmp_path), "lint"]) == 0
    assert "<h1>Hello {recipient.firstName}</h1>" in json.loads((tmp_path / "build/hello.json").read_text())["body"]


def test_preview_export_of_an_mjml_template(make_project: Any) -> None:
    root = make_project(mjml_files())
    assert main(["-C", str(root), "preview", "news"]) == 0
    page = (root / "preview-out/news/01-jane@example.com.html").read_text(encoding="utf-8")
    assert "Hi Jane, Summit starts soon." in page and "https://events.example.com/unsub" in page


# -- publishing to the sandbox ------------------------------------------------------------------
sandbox = pytest.importorskip("kmsg_authoring.sandbox", reason="the sandbox package is not available")


@pytest.fixture
def sandboxed(make_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Any]]:
    ks = sandbox.make_ks(4242)
    monkeypatch.setenv("KALTURA_KS", ks)
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        files = mjml_files()
        files["kmsg.toml"] = (
            f'[brand]\ncompany = "Acme"\n[environments.sandbox]\nurl = "{sb.url}"\n'
            'app_guid = "g"\nks_env = "KALTURA_KS"\n'
        )
        yield make_project(files), sb


def test_mjml_template_publishes_to_the_sandbox_with_tokens_verbatim(sandboxed: tuple[Path, Any], capsys: Any) -> None:
    from kmsg_authoring.api import MessagingClient

    root, sb = sandboxed
    assert main(["-C", str(root), "publish", "--env", "sandbox"]) == 0, capsys.readouterr()
    with MessagingClient(sb.url, sandbox.make_ks(4242), sleep=lambda s: None) as client:
        [remote] = [t for t in client.list_templates(appGuidIn=["g"]) if t["name"] == "MJML News"]
    local = json.loads((root / "build/news.json").read_text(encoding="utf-8"))
    assert remote["body"] == local["body"]
    for token in ("{recipient.firstName}", "{eventName}", "{magic}", "{more}", "{unsub}", "{qr}"):
        assert token in remote["body"]
    # Published once: nothing to publish the second time (the MJML output is deterministic).
    capsys.readouterr()
    assert main(["-C", str(root), "publish", "--env", "sandbox"]) == 0
    assert "nothing to publish" in capsys.readouterr().out

    # Pull keeps working: it writes the HTML as stored; --force over the MJML folder replaces body.mjml.
    folder = root / "templates_src/news"
    assert main(["-C", str(root), "pull", "--env", "sandbox", "--force"]) == 0, capsys.readouterr()
    assert (folder / "body.html").read_text(encoding="utf-8") == remote["body"]
    assert not (folder / "body.mjml").exists()
    assert main(["-C", str(root), "build"]) == 0


# -- the token guarantees through MRML ------------------------------------------------------------
def test_a_token_in_an_attribute_mrml_leaves_out_is_an_error_that_says_so(make_project: Any) -> None:
    root = make_project(
        {
            "templates_src/t/body.mjml": '<mjml><mj-body><mj-section><mj-column>\n<mj-button href="https://x.example/" '
            'title="{t}">Go</mj-button>\n</mj-column></mj-section></mj-body></mjml>\n',
            "templates_src/t/template.yaml": "name: T\nmsgParamsMap:\n  t: {type: String}\n",
        }
    )
    with pytest.raises(BuildError, match=r"dropped token \{t\} .*MRML does not write title of <mj-button>") as info:
        compile_template(load_config(root), "t")
    assert info.value.location == Location("templates_src/t/body.mjml", 2, 45)


def test_a_token_mjml_does_not_render_is_an_error_at_its_line(make_project: Any) -> None:
    files = mjml_files()
    files["templates_src/_layouts/base.mjml"] = LAYOUT.replace(
        '<mj-class name="cta"', '<mj-class name="unused" href="{more}" />\n      <mj-class name="cta"'
    )
    root = make_project(files)
    with pytest.raises(
        BuildError,
        match=r"MJML dropped token \{more\} \(1 before, 0 after\): MRML does not write "
        r"href of <mj-class> into the HTML here",
    ) as info:
        compile_template(load_config(root), "news")
    assert info.value.location == Location("templates_src/_layouts/base.mjml", 7, 37)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda html: html.replace("starts soon", "starts soon kmsgtk3q"), "duplicated token"),
        (lambda html: html.replace("starts soon", "starts soon {made.up}"), r"made up a token reference \{made\.up\}"),
        (lambda html: html.replace("starts soon", "starts soon kmsgtk999q"), "unknown placeholder"),
    ],
    ids=["duplicated", "invented", "unknown-placeholder"],
)
def test_mrml_output_that_breaks_the_token_guarantees_is_refused(
    make_project: Any, monkeypatch: pytest.MonkeyPatch, change: Any, message: str
) -> None:
    from kmsg_authoring.compile import mjml_check as stage

    real = stage._Stage.mrml
    monkeypatch.setattr(stage._Stage, "mrml", lambda self, source: change(real(self, source)))
    root = make_project(mjml_files())
    # The body's first reference, {recipient.firstName} in the title, is placeholder 3 (the fields take 0-2).
    with pytest.raises(BuildError, match=message):
        compile_template(load_config(root), "news")


NAMES = st.from_regex(r"[a-z][a-zA-Z0-9_]{0,8}", fullmatch=True)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(NAMES, min_size=1, max_size=4), href=NAMES, src=NAMES, css=NAMES, bg=NAMES)
def test_tokens_anywhere_come_through_mrml_verbatim(
    tmp_path: Path, text: list[str], href: str, src: str, css: str, bg: str
) -> None:
    names = sorted({*text, href, src, css, bg})
    body = (
        "<mjml><mj-body>\n"
        f'<mj-section background-url="https://x.example/{{{bg}}}.png"><mj-column css-class="c {{{css}}}">\n'
        f"<mj-text>{' and '.join('{' + n + '}' for n in text)}</mj-text>\n"
        f'<mj-button href="https://x.example/?a={{{href}}}&b=1">Go</mj-button>\n'
        f'<mj-image src="{{{src}}}" alt="" />\n'
        "</mj-column></mj-section>\n</mj-body></mjml>\n"
    )
    # Quoted: YAML reads a bare on, no or yes as a boolean.
    yaml_text = "name: P\nmsgParamsMap:\n" + "".join(f'  "{n}": {{type: String}}\n' for n in names)
    root = Path(tempfile.mkdtemp(dir=tmp_path))
    (root / "templates_src/p").mkdir(parents=True)
    (root / "templates_src/p/body.mjml").write_text(body)
    (root / "templates_src/p/template.yaml").write_text(yaml_text)
    compiled = compile_template(load_config(root), "p")
    out = compiled.body
    assert " and ".join("{" + n + "}" for n in text) in out
    # The inliner writes & in an attribute as &amp;, as for HTML bodies.
    assert f'href="https://x.example/?a={{{href}}}&amp;b=1"' in out and f'src="{{{src}}}"' in out
    assert f"url('https://x.example/{{{bg}}}.png')" in out and f"c {{{css}}}" in out
    # Every reference in the body is listed, each at the line of the MJML it was written on.
    found = Counter(t.raw for t in find_tokens(out))
    listed = Counter(t.raw for t in compiled.tokens if t.offset >= 0)
    assert found == listed
    lines = body.splitlines()
    for t in compiled.tokens:
        assert t.raw in lines[t.location.line - 1][t.location.col - 1 :], t


@pytest.mark.parametrize(
    "toml",
    ['[build]\ninliner = "css-inline"\n', '[build]\ninliner = "premailer"\n', None],
    ids=["css-inline", "premailer", "no-inlining"],
)
def test_mrml_head_styles_stay_and_inline_mj_style_is_inlined(make_project: Any, toml: str | None) -> None:
    files = mjml_files()
    if toml is None:
        files["templates_src/news/template.yaml"] = YAML + "kmsg: {inline_css: false}\n"
    else:
        files["kmsg.toml"] = toml + '[brand]\ncompany = "Acme"\n'
    root = make_project(files)
    body = compile_template(load_config(root), "news").body
    assert "data-css-inline" not in body and "data-premailer" not in body
    # MRML's resets and responsive widths stay in the head, as MJML leaves them.
    assert re.search(r"<style[^>]*>\s*#outlook a \{ padding: 0; \}", body)
    assert re.search(r"\.mj-column-per-50 \{ width:50% !important; max-width: ?50%; \}", body)
    inlined = re.search(r'class="lead"[^>]*style="[^"]*font-weight: ?bold', body) is not None
    assert inlined == (toml is not None)


def test_every_component_compiles_and_comments_never_break_mrml(make_project: Any) -> None:
    """Carousel, accordion, navbar, social, hero, wrapper, group, table, divider, spacer; a comment anywhere."""
    body = """\
<mjml>
  <mj-head><mj-font name="Lato" href="https://fonts.example.com/lato.css" /><mj-breakpoint width="320px" /></mj-head>
  <mj-body>
    <!-- hero -->
    <mj-hero background-url="https://img.example.com/{eventName}.png" background-height="200px"
             background-width="600px">
      <mj-text>Hero for {eventName}</mj-text>
    </mj-hero>
    <mj-wrapper padding="10px">
      <mj-section>
        <mj-group>
          <!-- a column -->
          <mj-column><mj-divider border-color="#cccccc" /><mj-spacer height="10px" /></mj-column>
          <mj-column><mj-table><tr><td>{eventName}</td></tr></mj-table></mj-column>
        </mj-group>
      </mj-section>
    </mj-wrapper>
    <mj-section>
      <mj-column>
        <mj-carousel>
          <!-- slides -->
          <mj-carousel-image src="https://img.example.com/a.png" alt="" href="{more}" />
          <mj-carousel-image src="https://img.example.com/b.png" alt="" />
        </mj-carousel>
        <mj-accordion>
          <!-- questions -->
          <mj-accordion-element>
            <!-- one -->
            <mj-accordion-title>Why {eventName}?</mj-accordion-title>
            <mj-accordion-text>Because.</mj-accordion-text>
          </mj-accordion-element>
        </mj-accordion>
        <mj-navbar><mj-navbar-link href="{more}">More</mj-navbar-link></mj-navbar>
        <mj-social><mj-social-element name="facebook" href="{more}">Share</mj-social-element></mj-social>
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""
    root = make_project(
        {
            "templates_src/all/body.mjml": body,
            "templates_src/all/template.yaml": "name: All\nmsgParamsMap:\n  eventName: {type: String}\n"
            "  more: {type: Dynamic}\n",
        }
    )
    compiled = compile_template(load_config(root), "all")
    assert "Hero for {eventName}" in compiled.body and "Why {eventName}?" in compiled.body
    assert 'href="{more}"' in compiled.body and "<!-- hero -->" in compiled.body
    lines = body.splitlines()
    for t in compiled.tokens:
        assert t.raw in lines[t.location.line - 1], t


def test_mjml_tags_mrml_lacks_are_named_as_such(make_project: Any) -> None:
    root = make_project(
        {
            "templates_src/t/body.mjml": "<mjml>\n  <mj-head>\n    <mj-html-attributes></mj-html-attributes>\n"
            "  </mj-head>\n  <mj-body></mj-body>\n</mjml>\n",
            "templates_src/t/template.yaml": "name: T\nmsgParamsMap: {}\n",
        }
    )
    with pytest.raises(SourceError, match="not supported by MRML") as info:
        compile_template(load_config(root), "t")
    assert info.value.location == Location("templates_src/t/body.mjml", 3, 5)


def test_an_error_mrml_reports_is_located_at_the_mjml_element(
    make_project: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mjml

    def refuse(source: str, **options: Any) -> str:
        at = len(source[: source.index('<mj-button href="kmsgtk')].encode("utf-8"))
        raise ValueError(f"unexpected element in root template at position {at}:{at + 9}")

    monkeypatch.setattr(mjml, "mjml2html", refuse)
    files = mjml_files()
    files["templates_src/news/body.mjml"] = BODY.replace("Sign in", "Entrée " + "✓" * 300)  # bytes, not characters
    root = make_project(files)
    with pytest.raises(SourceError) as info:
        compile_template(load_config(root), "news")
    assert info.value.message == "MJML: unexpected element in root template"
    line = line_of(BODY, '<mj-button href="{more}"')
    assert info.value.location == Location("templates_src/news/body.mjml", line, 9)


ATTRIBUTE_CASES = [
    ('<mj-image src="https://x.example/i.png" alt="Photo of {t}" />', "img", "alt"),
    ('<mj-image src="https://x.example/i.png" alt="" title="{t}" />', "img", "title"),
    ('<mj-image src="https://x.example/i.png" alt="" href="https://x.example/{t}" />', "a", "href"),
    ('<mj-button href="https://x.example/?id={t}">Go</mj-button>', "a", "href"),
    ('<mj-social><mj-social-element name="facebook" href="{t}">F</mj-social-element></mj-social>', "a", "href"),
    ('<mj-navbar><mj-navbar-link href="{t}">L</mj-navbar-link></mj-navbar>', "a", "href"),
    ('<mj-carousel><mj-carousel-image src="https://x.example/{t}.png" alt="" /></mj-carousel>', "img", "src"),
    ('<mj-text css-class="box-{t} x">Hi</mj-text>', "td", "class"),
]


@pytest.mark.parametrize(
    ("snippet", "element", "attribute"), ATTRIBUTE_CASES, ids=[f"{c[0].split()[0][1:]}-{c[2]}" for c in ATTRIBUTE_CASES]
)
def test_a_token_in_an_mjml_attribute_lands_on_the_element_mrml_writes_it_to(
    make_project: Any, snippet: str, element: str, attribute: str
) -> None:
    body = (
        f"<mjml>\n<mj-body>\n<mj-section>\n<mj-column>\n  {snippet}\n</mj-column>\n</mj-section>\n</mj-body>\n</mjml>\n"
    )
    root = make_project(
        {
            "templates_src/t/body.mjml": body,
            "templates_src/t/template.yaml": "name: T\nmsgParamsMap:\n  t: {type: String}\n",
        }
    )
    compiled = compile_template(load_config(root), "t")
    refs = [r for r in compiled.tokens if r.raw == "{t}"]
    assert refs and all(r.location == Location("templates_src/t/body.mjml", 5, snippet.index("{t}") + 3) for r in refs)
    assert any((r.element, r.attribute) == (element, attribute) for r in refs), [(r.element, r.attribute) for r in refs]
    assert len(list(find_tokens(compiled.body))) == len(refs)


def test_a_token_in_a_head_mj_style_is_kept_once(make_project: Any) -> None:
    files = mjml_files()
    files["templates_src/_layouts/base.mjml"] = LAYOUT.replace(
        "<mj-style>@media",
        "<mj-style>.hero { background-image: url('https://img.example.com/{eventName}.jpg'); }\n@media",
    )
    root = make_project(files)
    body = compile_template(load_config(root), "news").body
    assert body.count("url('https://img.example.com/{eventName}.jpg')") == 1
