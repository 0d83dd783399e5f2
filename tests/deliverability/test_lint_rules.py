"""The inbox-readiness lint rules point at the line the designer wrote the problem on."""

from __future__ import annotations

from pathlib import Path

import pytest

from kmsg_authoring.lint import catalog
from tests.lint.cases_deliverability import CASES, LOCATIONS
from tests.lint.conftest import LintFn, lint_one  # noqa: F401 (the fixture)


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_bad_example_is_reported_where_it_was_written(lint_one: LintFn, code: str) -> None:  # noqa: F811
    bad, _ = CASES[code]
    found = [p for p in lint_one(**bad) if p.code == code]
    assert found, f"{code} did not flag its bad example"
    path, line = LOCATIONS.get(code, ("templates_src/t/body.html", 5))
    assert {(p.location.path, p.location.line) for p in found} == {(path, line)}, [str(p) for p in found]


@pytest.mark.parametrize("code", sorted(CASES))
def test_the_rule_is_documented_for_rules(code: str) -> None:
    r = catalog()[code]
    assert set(r.sections) == {"What it does", "Why", "Bad", "Good"} and all(r.sections.values())


HIDDEN = '<div style="display:none;max-height:0;overflow:hidden">{}</div>\n<p>Doors open at 9.</p>'


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        pytest.param({"body": HIDDEN.format("See you soon")}, "preheader is short (12 < 20", id="short"),
        pytest.param(
            {
                "body": HIDDEN.format("Your ticket for the Spring Summit is here"),
                "subject": "Your ticket for the Spring Summit",
            },
            "repeats the subject",
            id="subject-repeated",
        ),
        pytest.param(
            {"body": HIDDEN.format("{recipient.firstName}, your ticket and the venue map are inside")},
            "begins with {recipient.firstName}",
            id="recipient-token",
        ),
        pytest.param(
            {
                "body": "<table><tr><td><a href='https://e.example.com/'>Home</a></td>"
                "<td><a href='https://e.example.com/e'>Events</a></td>"
                "<td><a href='https://e.example.com/c'>Contact us</a></td></tr></table><p>Doors open at 9.</p>"
            },
            "first words of the layout",
            id="menu",
        ),
        pytest.param({"body": '<img src="https://e.example.com/banner.png" alt="">'}, "preview is empty", id="empty"),
        pytest.param(
            {"body": "<h1>Spring Summit</h1>\n<p>Doors open at 9, your ticket is inside.</p>"},
            "no preheader: the inbox shows the body's first text, 'Spring Summit Doors open",
            id="missing",
        ),
    ],
)
def test_each_weak_preheader_is_named_at_its_element(lint_one: LintFn, kw: dict[str, str], message: str) -> None:  # noqa: F811
    found = [p for p in lint_one(**kw, preheader=None) if p.code == "KM808"]
    assert len(found) == 1 and message in found[0].message, [str(p) for p in found]
    assert (found[0].location.path, found[0].location.line) == (
        "templates_src/t/body.html",
        4 if "empty" in message else 5,
    )


def test_a_padded_preheader_keeps_the_body_out_of_the_preview() -> None:
    from kmsg_authoring.compile.extract import parse_html
    from kmsg_authoring.compile.preheader import inbox_preview

    html = (
        '<body><div style="display:none">Doors open at 9.' + "&#8199;&#65279;&#847; " * 20 + "</div><p>Body</p></body>"
    )
    preview = inbox_preview(parse_html(html))
    assert preview.explicit and preview.padded and preview.text == "Doors open at 9."
    unpadded = inbox_preview(parse_html('<body><div style="display:none">Doors open at 9.</div><p>Body</p></body>'))
    assert unpadded.text == "Doors open at 9. Body" and not unpadded.padded


@pytest.mark.parametrize(
    ("fmt", "frames"), [("PNG", 1), ("GIF", 1), ("GIF", 4), ("JPEG", 1), ("PNG", 3)], ids=lambda v: str(v)
)
def test_image_headers_give_the_size_and_frames_pillow_sees(tmp_path: Path, fmt: str, frames: int) -> None:
    from tests.lint.cases_deliverability import image

    from kmsg_authoring.lint.imageinfo import read_image_info

    path = tmp_path / f"x.{fmt.lower()}"
    path.write_bytes(image(fmt, 37, 21, frames=frames))
    info = read_image_info(path)
    assert info is not None and (info.width, info.height, info.bytes) == (37, 21, path.stat().st_size)
    assert info.frames == frames and info.animated == (frames > 1)
    path.write_bytes(b"not an image")
    assert read_image_info(path) is None


def test_an_image_outside_the_template_sources_is_not_read(lint_one: LintFn) -> None:  # noqa: F811
    from tests.lint.cases_deliverability import image

    files = {"outside/a.png": image("PNG", 10, 10)}
    found = lint_one(body='<p><img src="../../outside/a.png" width="100" height="100" alt=""></p>', files=files)
    assert "KM811" not in {p.code for p in found}
