"""MJML's own rules: the shipped data is what scripts/mjml_data.py reads from MJML's packages, every
component's attributes build, and what MJML's strict validator refuses is refused here with its reason.

The tests that run MJML itself need Node and MJML's npm packages (KMSG_MJML_NODE_MODULES: a
node_modules folder holding mjml; .ci/run installs it outside the repository). Without them they
skip, saying so; with KMSG_REQUIRE_MJML set (CI) a missing Node or package is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.compile import compile_template
from kmsg_authoring.compile.mjml_html import to_html
from kmsg_authoring.compile.mjml_lang import COMPONENTS, UNSUPPORTED, attr_type, data
from kmsg_authoring.compile.tokens import Shield
from kmsg_authoring.compile.types import SourceMap
from kmsg_authoring.errors import KmsgError, Location
from kmsg_authoring.source.config import MjmlOptions, load_config

REPO = Path(__file__).resolve().parents[2]
DATA_DIR = REPO / "kmsg_authoring" / "compile" / "data"
NODE_MODULES = Path(os.environ.get("KMSG_MJML_NODE_MODULES", "/nonexistent"))
REQUIRED = bool(os.environ.get("KMSG_REQUIRE_MJML"))


def _why_absent() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_MODULES / "mjml" / "package.json").is_file():
        return "MJML's npm packages are absent (set KMSG_MJML_NODE_MODULES to a node_modules holding mjml@5.4.1)"
    return None


ABSENT = _why_absent()
YAML = """\
name: T
subject: "News about {eventName}"
toAttributePath: "{recipient.email}"
msgParamsMap:
  eventName: {type: String}
  recipient: {type: User}
"""
needs_mjml = pytest.mark.skipif(ABSENT is not None and not REQUIRED, reason=ABSENT or "")


# -- the data -------------------------------------------------------------------------------------------
@needs_mjml
def test_shipped_data_is_what_the_script_reads_from_mjmls_packages(tmp_path: Path) -> None:
    assert ABSENT is None, ABSENT
    out = tmp_path / "mjml.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "mjml_data.py"), str(NODE_MODULES), "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert out.read_text(encoding="utf-8") == (DATA_DIR / "mjml.json").read_text(encoding="utf-8")
    assert (tmp_path / "mjml-LICENSE.md").read_bytes() == (DATA_DIR / "mjml-LICENSE.md").read_bytes()


def test_mjmls_license_ships_beside_the_data_and_every_type_is_one_mjml_defines() -> None:
    assert "MIT" in (DATA_DIR / "mjml-LICENSE.md").read_text(encoding="utf-8")
    assert "compile/data/*" in (REPO / "pyproject.toml").read_text(encoding="utf-8")
    shipped = data()
    assert shipped["versions"]["mjml"].startswith("5.")
    for tag, comp in shipped["components"].items():
        assert COMPONENTS[tag].ending == comp["ending"]
        for name, spec in comp["attributes"].items():
            assert COMPONENTS[tag].attributes[name] == attr_type(spec), (tag, name)
    # The attributes the hand-written table lacked, now from MJML's definitions.
    assert "padding-top" in COMPONENTS["mj-navbar"].attributes
    assert "mj-column" in COMPONENTS["mj-text"].parents and "mj-hero" in COMPONENTS["mj-text"].parents


# -- MJML files exercising every component's attributes --------------------------------------------------
STRINGS = {
    "href": "https://example.com/page",
    "src": "https://example.com/image.png",
    "background-url": "https://example.com/bg.png",
    "thumbnails-src": "https://example.com/thumb.png",
    "srcset": "https://example.com/image.png 1x",
    "name": "facebook",
    "font-family": "Arial, sans-serif",
    "base-url": "https://example.com",
    "target": "_blank",
    "rel": "noopener",
    "title": "Title",
    "alt": "Alternative text",
    "border": "1px solid #000000",
    "border-radius": "4px",
    "path": "",
}


def valid_value(tag: str, name: str, spec: str) -> str:
    """A value MJML's type accepts, realistic enough for MRML to render."""
    if spec.startswith("string"):
        if name.startswith(("icon-", "ico-")) and name.endswith(("url", "src")):
            return "https://example.com/icon.png"
        if name.startswith(("border", "inner-border", "tb-border")) and not name.endswith("radius"):
            return "1px solid #000000"
        if name.endswith("radius"):
            return "4px"
        return STRINGS.get(name, "example")
    if spec.startswith("color"):
        return "#336699"
    if spec.startswith("enum"):
        return next(c for c in spec[spec.index("(") + 1 : spec.index(")")].split(",") if c)
    if spec.startswith("unitWithNegative"):
        return "-1px" if "px" in spec else "1em"
    if spec.startswith("unit"):
        units = [u for u in spec[spec.index("(") + 1 : spec.index(")")].split(",") if u and u != "auto"]
        return "10" + units[0] if units else "10"
    if spec.startswith("integer"):
        return "2"
    if spec.startswith("boolean"):
        return "true"
    raise AssertionError(spec)


INVALID = {"color": "notacolor", "unit": "10zz", "enum": "zzz-none", "integer": "abc", "boolean": "maybe"}

# Where each component stands, with what it needs inside: {A} is its attributes.
PLACES = {
    "mj-body": "<mj-body{A}><mj-section><mj-column><mj-text>{T}</mj-text></mj-column></mj-section></mj-body>",
    "mj-wrapper": "<mj-body><mj-wrapper{A}><mj-section><mj-column><mj-text>{T}</mj-text></mj-column>"
    "</mj-section></mj-wrapper></mj-body>",
    "mj-section": "<mj-body><mj-section{A}><mj-column><mj-text>{T}</mj-text></mj-column></mj-section></mj-body>",
    "mj-group": "<mj-body><mj-section><mj-group{A}><mj-column><mj-text>{T}</mj-text></mj-column></mj-group>"
    "</mj-section></mj-body>",
    "mj-column": "<mj-body><mj-section><mj-column{A}><mj-text>{T}</mj-text></mj-column></mj-section></mj-body>",
    "mj-hero": "<mj-body><mj-hero{A}><mj-text>{T}</mj-text></mj-hero></mj-body>",
    "mj-social": '{C}<mj-social{A}><mj-social-element name="facebook" href="https://example.com/f">F'
    "</mj-social-element></mj-social>",
    "mj-social-element": "{C}<mj-social><mj-social-element{A}>F</mj-social-element></mj-social>",
    "mj-navbar": '{C}<mj-navbar{A}><mj-navbar-link href="/a">A</mj-navbar-link></mj-navbar>',
    "mj-navbar-link": "{C}<mj-navbar><mj-navbar-link{A}>A</mj-navbar-link></mj-navbar>",
    "mj-accordion": "{C}<mj-accordion{A}><mj-accordion-element><mj-accordion-title>Q</mj-accordion-title>"
    "<mj-accordion-text>A</mj-accordion-text></mj-accordion-element></mj-accordion>",
    "mj-accordion-element": "{C}<mj-accordion><mj-accordion-element{A}><mj-accordion-title>Q</mj-accordion-title>"
    "<mj-accordion-text>A</mj-accordion-text></mj-accordion-element></mj-accordion>",
    "mj-accordion-title": "{C}<mj-accordion><mj-accordion-element><mj-accordion-title{A}>Q</mj-accordion-title>"
    "<mj-accordion-text>A</mj-accordion-text></mj-accordion-element></mj-accordion>",
    "mj-accordion-text": "{C}<mj-accordion><mj-accordion-element><mj-accordion-title>Q</mj-accordion-title>"
    "<mj-accordion-text{A}>A</mj-accordion-text></mj-accordion-element></mj-accordion>",
    "mj-carousel": '{C}<mj-carousel{A}><mj-carousel-image src="https://example.com/1.png" /></mj-carousel>',
    "mj-carousel-image": "{C}<mj-carousel><mj-carousel-image{A} /></mj-carousel>",
    "mj-text": "{C}<mj-text{A}>{T}</mj-text>",
    "mj-button": "{C}<mj-button{A}>Go</mj-button>",
    "mj-image": "{C}<mj-image{A} />",
    "mj-divider": "{C}<mj-divider{A} />",
    "mj-spacer": "{C}<mj-spacer{A} />",
    "mj-table": "{C}<mj-table{A}><tr><td>1</td></tr></mj-table>",
    "mj-raw": "{C}<mj-raw{A}><p>raw</p></mj-raw>",
    "mj-breakpoint": "{H}<mj-breakpoint{A} />",
    "mj-font": "{H}<mj-font{A} />",
    "mj-style": "{H}<mj-style{A}>.x { color: red; }</mj-style>",
    "mj-title": "{H}<mj-title{A}>Title</mj-title>",
    "mj-preview": "{H}<mj-preview{A}>Preview</mj-preview>",
    "mj-attributes": '{H}<mj-attributes{A}><mj-all padding="0px" /></mj-attributes>',
    "mj-head": "<mj-head{A}><mj-title>t</mj-title></mj-head>{B}",
}
COLUMN = "<mj-body><mj-section><mj-column><mj-text>{T}</mj-text>{X}</mj-column></mj-section></mj-body>"
HEAD = "<mj-head><mj-title>t</mj-title>{X}</mj-head>" + COLUMN.replace("{X}", "")


def document(tag: str, attributes: dict[str, str]) -> str:
    """A whole MJML document in which tag carries these attributes."""
    attrs = "".join(f' {k}="{v}"' for k, v in attributes.items())
    place = PLACES[tag].replace("{A}", attrs)
    if place.startswith("{C}"):
        inner = COLUMN.replace("{X}", place[3:])
    elif place.startswith("{H}"):
        inner = HEAD.replace("{X}", place[3:])
    elif tag == "mj-head":
        inner = place.replace("{B}", COLUMN.replace("{X}", ""))
    else:
        inner = place
    if "<mj-head" not in inner:
        inner = "<mj-head><mj-title>t</mj-title></mj-head>" + inner
    return "<mjml>" + inner.replace("{T}", "Hi {eventName}") + "</mjml>"


def exercised() -> list[tuple[str, str, str]]:
    """(id, document, the invalid attribute or '') for every component: all its attributes valid, then
    one document per typed attribute with a value of the wrong type."""
    out = []
    for tag, comp in data()["components"].items():
        if tag in UNSUPPORTED:
            continue
        specs = {k: v for k, v in comp["attributes"].items() if k not in ("path",)}
        valid = {k: valid_value(tag, k, v) for k, v in specs.items()}
        out.append((f"{tag}-valid", document(tag, valid), ""))
        for name, spec in specs.items():
            kind = next((k for k in INVALID if spec.startswith(k)), None)
            if kind is not None:
                out.append((f"{tag}-{name}-invalid", document(tag, {**valid, name: INVALID[kind]}), name))
    return out


CASES = exercised()


def compile_mjml(tmp_path: Path, mjml: str) -> str:
    """The MJML stage on one document: its HTML, or KmsgError."""
    shield = Shield()
    from kmsg_authoring.compile.loader import prepare

    marks = SourceMap()
    prepared = prepare(mjml, "body.mjml", shield, marks, jinja=False)
    html = to_html(
        prepared,
        root=tmp_path,
        marks=marks,
        shield=shield,
        options=MjmlOptions(),
        default=Location("body.mjml"),
        on_read=lambda _: None,
    )
    return shield.restore(html)


def test_the_exercise_set_covers_every_component_and_attribute() -> None:
    ids = {c[0] for c in CASES}
    for tag in data()["components"]:
        if tag not in UNSUPPORTED:
            assert f"{tag}-valid" in ids
    assert len(CASES) > 200


@pytest.mark.parametrize("case", [c for c in CASES if not c[2]], ids=[c[0] for c in CASES if not c[2]])
def test_every_component_with_all_its_attributes_builds_with_tokens_intact(
    make_project: Any, case: tuple[str, str, str]
) -> None:
    _, mjml, _ = case
    root = make_project(
        {
            "kmsg.toml": "",
            "templates_src/t/template.yaml": YAML,
            "templates_src/t/body.mjml": mjml,
        }
    )
    compiled = compile_template(load_config(root), "t")
    assert compiled.body.count("Hi {eventName}") == mjml.count("Hi {eventName}") >= 1
    assert {t.raw for t in compiled.tokens if t.where == "text"} == {"{eventName}"}


@pytest.mark.parametrize("case", [c for c in CASES if c[2]], ids=[c[0] for c in CASES if c[2]])
def test_a_value_of_the_wrong_type_is_refused_with_mjmls_reason(tmp_path: Path, case: tuple[str, str, str]) -> None:
    _, mjml, name = case
    with pytest.raises(KmsgError, match=f"Attribute {name} on <mj-[a-z-]+> has invalid value: ") as info:
        compile_mjml(tmp_path, mjml)
    assert info.value.location is not None and info.value.location.path == "body.mjml"


def _same_reason(mjml: str, ours: str) -> bool:
    """Whether our message gives MJML's reason: the same attribute and words, or the same rule."""
    mjml = mjml.strip()
    if " has invalid value: " in mjml:
        attr, reason = mjml.split(" has invalid value: ", 1)
        return ours.startswith(attr + " on <") and ours.strip().endswith("has invalid value: " + reason)
    if mjml.endswith(" is illegal"):
        return ours.startswith(mjml[: -len(" is illegal")].replace("Attributes ", "Attribute ") + " is illegal")
    return ours.startswith(mjml)


VALIDATE = r"""
const mjml = require('mjml');
const docs = JSON.parse(require('fs').readFileSync(0, 'utf8'));
(async () => {
  const out = [];
  for (const doc of docs) {
    try { await mjml(doc, { validationLevel: 'strict' }); out.push([]); }
    catch (e) { out.push(e.errors ? e.errors.map((x) => x.message) : [String(e.message)]); }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


def mjml_verdicts(docs: list[str]) -> list[list[str]]:
    """MJML's strict validator on each document: its messages (none: accepted)."""
    proc = subprocess.run(
        ["node", "-e", VALIDATE],
        input=json.dumps(docs),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
    )
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert isinstance(found, list)
    return found


HANDWRITTEN = {
    # MJML accepts these and so must the build (one was refused by the hand-written table).
    "navbar-padding-top": '<mj-navbar padding-top="10px"><mj-navbar-link href="/a">A</mj-navbar-link></mj-navbar>',
    "image-fluid": '<mj-image src="https://example.com/a.png" fluid-on-mobile="true" />',
    "rgba-color": '<mj-text color="rgba(0,0,0,0.5)">x</mj-text>',
    "unit-auto": '<mj-image src="https://example.com/a.png" height="auto" />',
    # MJML refuses these, and so must the build.
    "unknown-attribute": '<mj-text colr="#000000">x</mj-text>',
    "bad-enum": '<mj-text align="middle">x</mj-text>',
    "eight-digit-hex": '<mj-text color="#11223344">x</mj-text>',
    "em-padding": '<mj-text padding="1em">x</mj-text>',
    "misplaced": "<mj-section><mj-column><mj-text>x</mj-text></mj-column></mj-section>",
    "unknown-tag": "<mj-texte>x</mj-texte>",
}


@needs_mjml
def test_what_mjmls_strict_validator_accepts_builds_and_what_it_refuses_is_refused_with_its_reason(
    tmp_path: Path,
) -> None:
    assert ABSENT is None, ABSENT
    docs = [c[1] for c in CASES] + [COLUMN.replace("{X}", h) for h in HANDWRITTEN.values()]
    docs = [
        d if d.startswith("<mjml>") else "<mjml><mj-head><mj-title>t</mj-title></mj-head>" + d + "</mjml>" for d in docs
    ]
    docs = [d.replace("{T}", "Hi {eventName}") for d in docs]
    ids = [c[0] for c in CASES] + list(HANDWRITTEN)
    verdicts = mjml_verdicts(docs)
    disagreements = []
    for name, doc, mjml_errors in zip(ids, docs, verdicts, strict=True):
        try:
            compile_mjml(tmp_path, doc)
            ours = None
        except KmsgError as exc:
            ours = exc.message
        # Both accept, or both refuse for MJML's reason in its words ("Attribute X has invalid value:
        # ...", "... is illegal", "x cannot be used inside y, only inside: ...", "Element x doesn't exist").
        agree = not mjml_errors if ours is None else any(_same_reason(r, ours) for r in mjml_errors)
        if not agree:
            disagreements.append((name, mjml_errors, ours))
    assert not disagreements, "\n".join(f"{n}: MJML {m} / here {o}" for n, m, o in disagreements)


def test_text_mjml_drops_builds_with_a_located_warning(make_project: Any, capsys: Any) -> None:
    body = (
        '{% extends "_layouts/base.mjml" %}\n{% block content %}\n'
        "<mj-section>\n  <mj-column><mj-text>Left {eventName}</mj-text></mj-column> STRAY|\n"
        "  <mj-column><mj-text>Right</mj-text></mj-column>\n</mj-section>\n{% endblock %}\n"
    )
    layout = (
        "<mjml>\n  <mj-head><mj-title>T</mj-title></mj-head>\n  <mj-body>\n{% block content %}{% endblock %}\n"
        "  </mj-body>\n</mjml>\n"
    )
    root = make_project(
        {
            "kmsg.toml": "",
            "templates_src/_layouts/base.mjml": layout,
            "templates_src/t/template.yaml": YAML,
            "templates_src/t/body.mjml": body,
        }
    )
    assert main(["-C", str(root), "build"]) == 0
    html = json.loads((root / "build/t.json").read_text(encoding="utf-8"))["body"]
    assert "Left {eventName}" in html and "Right" in html and "STRAY" not in html
    capsys.readouterr()
    assert main(["-C", str(root), "lint", "--format", "json"]) == 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    dropped = [p for p in problems if p["code"] == "KM603"]
    assert len(dropped) == 1, problems
    text = "  <mj-column><mj-text>Left {eventName}</mj-text></mj-column> STRAY|"
    line = body.splitlines().index(text) + 1
    assert (dropped[0]["path"], dropped[0]["line"]) == ("templates_src/t/body.mjml", line)
    assert dropped[0]["col"] == text.index("STRAY") + 1
    assert "'STRAY|' stands directly in <mj-section>: MJML drops it" in dropped[0]["message"]
    assert main(["-C", str(root), "lint", "--strict"]) == 1


# -- findings about the HTML MRML makes ---------------------------------------------------------------
def test_new_mjml_in_a_project_from_init_passes_lint_strict(tmp_path: Path, capsys: Any) -> None:
    demo = tmp_path / "demo"
    assert main(["init", str(demo)]) == 0
    assert main(["-C", str(demo), "new", "promo", "--mjml"]) == 0
    capsys.readouterr()
    assert main(["-C", str(demo), "lint", "--strict"]) == 0, capsys.readouterr()
    assert "no problems" in capsys.readouterr().out


LAYOUT = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{% block title %}{% endblock %}</mj-title>
    <mj-attributes>
      <mj-all font-family="Helvetica, Arial, sans-serif" />
      <mj-button background-color="#1a237e" border-radius="6px" />
    </mj-attributes>
  </mj-head>
  <mj-body background-color="#f4f5f7">
{% block content %}{% endblock %}
  </mj-body>
</mjml>
"""


def lint_json(root: Path, capsys: Any) -> list[dict[str, Any]]:
    capsys.readouterr()
    main(["-C", str(root), "lint", "--format", "json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert isinstance(problems, list)
    return problems


def test_css_mrml_writes_from_an_attribute_is_reported_at_that_attribute(make_project: Any, capsys: Any) -> None:
    body = (
        '{% extends "_layouts/base.mjml" %}\n{% block content %}\n'
        '<mj-section background-color="#ffffff" border-radius="8px" padding-bottom="0px">\n'
        "  <mj-column>\n"
        '    <mj-image src="https://example.com/a.png" alt="A" width="100px" />\n'
        '    <mj-text color="#1f2933">Hi {eventName}</mj-text>\n'
        '    <mj-button href="https://example.com">Go</mj-button>\n'
        "  </mj-column>\n</mj-section>\n{% endblock %}\n"
    )
    root = make_project(
        {
            "kmsg.toml": "",
            "templates_src/_layouts/base.mjml": LAYOUT,
            "templates_src/t/template.yaml": YAML,
            "templates_src/t/body.mjml": body,
        }
    )
    problems = lint_json(root, capsys)
    radius = [p for p in problems if p["code"] == "KM611" and "border-radius" in p["message"]]
    # The section's own attribute, in the body; the button's from mj-attributes, in the layout.
    lines = body.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if 'border-radius="8px"' in text)
    at = {(p["path"], p["line"], p["col"]) for p in radius}
    assert ("templates_src/t/body.mjml", line, lines[line - 1].index("border-radius") + 1) in at, radius
    text = '      <mj-button background-color="#1a237e" border-radius="6px" />'
    layout_line = LAYOUT.splitlines().index(text) + 1
    assert ("templates_src/_layouts/base.mjml", layout_line, text.index("border-radius") + 1) in at, radius
    # What MRML writes on its own (word-break, word-spacing, outline, aria-label...) is not reported.
    clients = [p for p in problems if p["code"] in ("KM611", "KM612", "KM613", "KM614", "KM615")]
    assert all("border-radius" in p["message"] for p in clients), clients


def test_no_finding_on_an_mjml_body_points_past_the_end_of_a_line(make_project: Any, capsys: Any) -> None:
    from tests.mjml_project import mjml_files

    root = make_project(mjml_files())
    body = root / "templates_src/news/body.mjml"
    # A finding in every category: a client-support one from an attribute, an alt text, a token.
    body.write_text(
        body.read_text().replace("<mj-section background-url", '<mj-section border-radius="4px" background-url', 1)
    )
    problems = lint_json(root, capsys)
    assert problems
    for p in problems:
        lines = (root / p["path"]).read_text(encoding="utf-8").splitlines()
        assert 1 <= p["line"] <= len(lines), p
        assert 1 <= p["col"] <= len(lines[p["line"] - 1]) + 1, p


# -- hand-written templates, as designers write them ---------------------------------------------------
TEMPLATES = REPO / "tests" / "compile" / "mjml_templates"
REALISTIC_YAML = """\
name: Realistic
subject: "About {eventName}"
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
  eventName: {type: String}
  orderId: {type: String}
  total: {type: String}
  joinLink: {type: MagicLink}
  receiptLink: {type: Dynamic}
  unsubLink: {type: UnsubscribeUri}
unsubscribeGroups: [news]
"""


@pytest.mark.parametrize("path", sorted(TEMPLATES.glob("*.mjml")), ids=lambda p: p.stem)
def test_hand_written_templates_build_with_every_token_and_lint_without_errors(
    make_project: Any, capsys: Any, path: Path
) -> None:
    from kmsg_authoring.model import find_tokens

    source = path.read_text(encoding="utf-8")
    root = make_project(
        {"kmsg.toml": "", "templates_src/t/template.yaml": REALISTIC_YAML, "templates_src/t/body.mjml": source}
    )
    assert main(["-C", str(root), "build"]) == 0, capsys.readouterr()
    html = json.loads((root / "build/t.json").read_text(encoding="utf-8"))["body"]
    # Every reference written in the MJML is in the email (MRML may write an attribute's more than once).
    for token in {t.raw for t in find_tokens(source)}:
        assert token in html, token
    problems = lint_json(root, capsys)
    assert not [p for p in problems if p["severity"] == "error"], problems
    for p in problems:  # every finding at a place the designer wrote
        lines = (root / p["path"]).read_text(encoding="utf-8").splitlines()
        assert 1 <= p["col"] <= len(lines[p["line"] - 1]) + 1, p


@needs_mjml
def test_mjmls_strict_validator_accepts_the_hand_written_templates() -> None:
    assert ABSENT is None, ABSENT
    paths = sorted(TEMPLATES.glob("*.mjml"))
    verdicts = mjml_verdicts([p.read_text(encoding="utf-8") for p in paths])
    assert verdicts == [[] for _ in paths], verdicts
