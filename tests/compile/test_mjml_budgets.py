"""MJML's budgets and places: nesting, element count, includes, time and size are refused at the element
that passes them, before MRML runs; a crash of MRML is an error, never the end of the process; an
error is reported in the file the designer wrote it in, and mj-include resolves from the including file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.cli import main
from kmsg_authoring.compile import compile_template, mjml_run
from kmsg_authoring.compile.mjml_check import MAX_INCLUDE_BYTES, MAX_INCLUDES
from kmsg_authoring.compile.mjml_parse import MAX_DEPTH, MAX_ELEMENTS
from kmsg_authoring.errors import SourceError
from kmsg_authoring.source.config import load_config
from tests.mjml_project import mjml_files

LAYOUT = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{% block title %}{% endblock %}</mj-title>
  </mj-head>
  <mj-body background-color="#f4f5f7">
    <mj-section background-color="#ffffff" padding="32px 0">
      <mj-column>
{% block content %}{% endblock %}
      </mj-column>
    </mj-section>
  </mj-body>
</mjml>
"""
YAML = """\
name: Promo
subject: "Hello {recipient.firstName}"
toAttributePath: "{recipient.email}"
msgParamsMap:
  recipient: {type: User}
"""


def body(content: str) -> str:
    return '{% extends "_layouts/base.mjml" %}\n{% block content %}\n' + content + "\n{% endblock %}\n"


def project(make_project: Any, content: str, **more: str) -> Path:
    files: dict[str, str | bytes] = {
        "kmsg.toml": "",
        "templates_src/_layouts/base.mjml": LAYOUT,
        "templates_src/promo/template.yaml": YAML,
        "templates_src/promo/body.mjml": body(content),
        **more,
    }
    return make_project(files)


def build_error(root: Path, capsys: Any) -> str:
    """The build fails with exit 1, no traceback; what it printed."""
    assert main(["-C", str(root), "build"]) == 1
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert "Traceback" not in text
    assert not (root / "build/promo.json").exists()
    return text


@pytest.fixture
def fresh_worker() -> Iterator[None]:
    """Each test starts and ends without a worker (and with the default isolation policy)."""
    mjml_run._stop()
    yield
    mjml_run._stop()
    mjml_run.isolate_always(False)


# -- nesting and element count ----------------------------------------------------------------------
def test_ten_thousand_nested_divs_are_a_located_error_before_mrml_runs(make_project: Any, capsys: Any) -> None:
    # MRML crashes the process (SIGSEGV) on this input when it is given it.
    n = 10_000
    root = project(make_project, "<mj-text>" + "<div>" * n + "x" + "</div>" * n + "</mj-text>")
    started = time.monotonic()
    text = build_error(root, capsys)
    # mjml, mj-body, mj-section, mj-column and mj-text stand around: the first <div> past the limit.
    col = len("<mj-text>") + len("<div>") * (MAX_DEPTH - 5) + 1
    assert f"templates_src/promo/body.mjml:3:{col}:" in text, text
    assert f"nest deeper than {MAX_DEPTH} levels" in text
    assert time.monotonic() - started < 60


def test_nesting_of_mjml_components_counts_too(make_project: Any, capsys: Any) -> None:
    # mj-wrapper cannot nest in MJML, but the depth is refused before that check (no recursion on it).
    n = 3_000
    root = project(make_project, "<mj-raw>x</mj-raw>", **{})
    (root / "templates_src/promo/body.mjml").write_text(
        body("</mj-column></mj-section>" + "<mj-section>" * n + "</mj-section>" * n + "<mj-section><mj-column>")
    )
    text = build_error(root, capsys)
    assert f"nest deeper than {MAX_DEPTH} levels" in text and "templates_src/promo/body.mjml:3:" in text, text


def test_the_element_count_is_bounded(make_project: Any, capsys: Any) -> None:
    root = project(make_project, "<mj-text>" + "<br>" * (MAX_ELEMENTS + 10) + "</mj-text>")
    text = build_error(root, capsys)
    assert f"more than {MAX_ELEMENTS:,} elements" in text and "templates_src/promo/body.mjml:3:" in text, text


# -- includes -----------------------------------------------------------------------------------------
def test_include_fan_out_fails_fast_at_the_include(make_project: Any, capsys: Any) -> None:
    # 5 levels of 10 includes each: 100,000 includes, 21.8 MB of HTML before the budget.
    more = {}
    for level in range(5):
        inner = (
            "".join(f'<mj-include path="l{level + 1}.mjml" />\n' for _ in range(10))
            if level < 4
            else "<mj-text>leaf</mj-text>\n"
        )
        more[f"templates_src/promo/l{level}.mjml" if level else "templates_src/promo/l0.mjml"] = inner
    more["templates_src/promo/l0.mjml"] = "".join('<mj-include path="l1.mjml" />\n' for _ in range(10))
    root = project(make_project, '<mj-include path="l0.mjml" />', **more)
    started = time.monotonic()
    text = build_error(root, capsys)
    assert time.monotonic() - started < 30
    assert f"more than {MAX_INCLUDES} mj-include in one body" in text, text
    # At the include that passed the budget, in the file it is written in.
    assert "templates_src/promo/l" in text.split(f"more than {MAX_INCLUDES}")[0].splitlines()[-1]


def test_included_bytes_are_bounded(make_project: Any, capsys: Any) -> None:
    big = "<mj-text>" + "x" * (MAX_INCLUDE_BYTES // 2) + "</mj-text>\n"
    root = project(
        make_project,
        '<mj-include path="big.mjml" />\n<mj-include path="big.mjml" />\n<mj-include path="big.mjml" />',
        **{"templates_src/promo/big.mjml": big},
    )
    text = build_error(root, capsys)
    assert "templates_src/promo/body.mjml:4:1:" in text and "KiB together" in text, text


def test_mj_include_resolves_from_the_including_file(make_project: Any) -> None:
    root = project(
        make_project,
        '<mj-include path="x.mjml" />',
        **{
            "templates_src/promo/x.mjml": '<mj-text>from x</mj-text>\n<mj-include path="../_partials/y.mjml" />\n',
            "templates_src/_partials/y.mjml": '<mj-include path="z.mjml" />\n',
            "templates_src/_partials/z.mjml": "<mj-text>from z</mj-text>\n",
            # The same names beside the layout: never read.
            "templates_src/_layouts/x.mjml": "<mj-text>WRONG x</mj-text>\n",
        },
    )
    compiled = compile_template(load_config(root), "promo")
    assert "from x" in compiled.body and "from z" in compiled.body and "WRONG" not in compiled.body
    assert {"templates_src/promo/x.mjml", "templates_src/_partials/z.mjml"} <= set(compiled.dependencies)


def test_a_missing_include_is_reported_at_the_include(make_project: Any, capsys: Any) -> None:
    root = project(make_project, '<mj-text>a</mj-text>\n  <mj-include path="nope.mjml" />')
    text = build_error(root, capsys)
    assert "templates_src/promo/body.mjml:4:3: KM001 mj-include path 'nope.mjml': file not found" in text, text


# -- places -------------------------------------------------------------------------------------------
def test_an_unclosed_element_is_reported_where_it_was_opened_not_in_the_layout(make_project: Any, capsys: Any) -> None:
    root = project(make_project, "<mj-text>\n  <h1>Hello</h1>")
    text = build_error(root, capsys)
    assert "templates_src/promo/body.mjml:3:1: KM001 <mj-text> is never closed" in text, text
    assert "_layouts" not in text


def test_new_mjml_with_an_unclosed_text_in_a_demo_project(tmp_path: Path, capsys: Any) -> None:
    demo = tmp_path / "demo"
    assert main(["init", str(demo)]) == 0
    assert main(["-C", str(demo), "new", "promo", "--mjml"]) == 0
    path = demo / "templates_src/promo/body.mjml"
    path.write_text(path.read_text().replace("</mj-text>", ""))
    capsys.readouterr()
    assert main(["-C", str(demo), "build"]) == 1
    out = capsys.readouterr()
    assert "templates_src/promo/body.mjml:5:1: KM001 <mj-text> is never closed" in out.out + out.err


# -- MRML in a worker -----------------------------------------------------------------------------------
def deep(n: int) -> str:
    return (
        "<mjml><mj-body><mj-section><mj-column><mj-text>"
        + "<div>" * n
        + "x"
        + "</div>" * n
        + "</mj-text></mj-column></mj-section></mj-body></mjml>"
    )


def test_a_real_mrml_crash_in_the_worker_is_an_error_and_the_next_body_compiles(fresh_worker: None) -> None:
    with pytest.raises(mjml_run.MrmlCrash, match=r"crashed on this body \(it was killed by SIGSEGV\)"):
        mjml_run.render(deep(20_000), {}, isolate=True, time_limit=60, size_limit=10**8)
    assert "<div>x</div>" in mjml_run.render(deep(1), {}, isolate=True, time_limit=60, size_limit=10**8)


def test_a_worker_killed_by_a_signal_is_a_located_error_not_a_dead_process(
    make_project: Any, monkeypatch: pytest.MonkeyPatch, fresh_worker: None, capsys: Any
) -> None:
    monkeypatch.setattr(mjml_run, "WORKER_SOURCE", "import os, sys\nsys.stdin.readline()\nos.abort()\n")
    mjml_run.isolate_always()
    root = make_project(mjml_files())
    with pytest.raises(SourceError, match=r"crashed on this body \(it was killed by SIGABRT\)") as info:
        compile_template(load_config(root), "news")
    assert info.value.location is not None and info.value.location.path == "templates_src/news/body.mjml"
    # Through the CLI, as preview and build run it: exit 1 with the located error.
    assert main(["-C", str(root), "build"]) == 1
    out = capsys.readouterr()
    assert "templates_src/news/body.mjml:1:1: KM001 MJML's compiler (MRML) crashed" in out.out + out.err
    # A working worker again: the same process compiles the body.
    monkeypatch.undo()
    mjml_run.isolate_always()
    assert "{recipient.firstName}" in compile_template(load_config(root), "news").body


def test_a_worker_past_the_time_limit_is_stopped(monkeypatch: pytest.MonkeyPatch, fresh_worker: None) -> None:
    monkeypatch.setattr(mjml_run, "WORKER_SOURCE", "import sys, time\nsys.stdin.readline()\ntime.sleep(600)\n")
    with pytest.raises(mjml_run.MrmlCrash, match=r"took longer than 0\.5 s"):
        mjml_run.render(deep(1), {}, isolate=True, time_limit=0.5, size_limit=10**8)
    assert mjml_run._worker is None  # killed, not left behind


def test_the_worker_refuses_output_past_the_size_limit(fresh_worker: None) -> None:
    with pytest.raises(mjml_run.MrmlCrash, match="MJML output too large"):
        mjml_run.render(deep(1), {}, isolate=True, time_limit=60, size_limit=100)


def test_large_or_deep_bodies_go_to_the_worker_and_small_ones_stay_here(
    make_project: Any, monkeypatch: pytest.MonkeyPatch, fresh_worker: None
) -> None:
    calls: list[bool] = []
    real = mjml_run.render

    def spy(*args: Any, isolate: bool, **kwargs: Any) -> str:
        calls.append(isolate)
        return real(*args, isolate=isolate, **kwargs)

    monkeypatch.setattr(mjml_run, "render", spy)
    root = project(make_project, "<mj-text><p>small</p></mj-text>")
    compile_template(load_config(root), "promo")
    n = mjml_run.ISOLATE_FROM_DEPTH
    (root / "templates_src/promo/body.mjml").write_text(body("<mj-text>" + "<b>" * n + "x" + "</b>" * n + "</mj-text>"))
    compile_template(load_config(root), "promo")
    assert calls == [False, True]


def test_the_size_limit_applies_to_the_mjml_stage(make_project: Any, capsys: Any) -> None:
    root = project(
        make_project,
        '<mj-include path="big.mjml" />',
        **{"templates_src/promo/big.mjml": "<mj-text>" + "y" * 200_000 + "</mj-text>\n"},
    )
    (root / "kmsg.toml").write_text("[build]\nrender_size_limit_mb = 0.1\n")
    text = build_error(root, capsys)
    assert "too large" in text and "render_size_limit_mb" in text, text


def test_preview_watch_compiles_mjml_in_the_worker(
    make_project: Any, monkeypatch: pytest.MonkeyPatch, fresh_worker: None
) -> None:
    from kmsg_authoring.errors import UsageError
    from kmsg_authoring.preview import server

    seen: list[bool] = []

    def fake(*args: Any, **kwargs: Any) -> None:
        seen.append(mjml_run.needs_isolation(10, 1))
        raise UsageError("stop here")

    monkeypatch.setattr(server, "start_live_preview", fake)
    root = make_project(mjml_files())
    assert main(["-C", str(root), "preview", "--watch", "--port", "0"]) == 2
    assert seen == [True]
