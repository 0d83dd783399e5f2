"""Widths, precisions and repetitions in a template are refused before they allocate.

The build runs in a process limited to 1 GiB of address space: a check made only after the
allocation fails there with a MemoryError instead of the located error.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


from kmsg_authoring.compile.jinja_budgets import MAX_FORMAT_WIDTH
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
ADDRESS_SPACE = 1024 * 1024 * 1024
TOML = "[build]\nrender_size_limit_mb = 1\n"

HUGE = "999999999"
# slug -> (a line of Jinja, what the error says)
CASES: dict[str, tuple[str, str]] = {
    "center": (f'{{{{ "a"|center({HUGE}) }}}}', "the width of center is 999,999,999"),
    "format-filter": (f'{{{{ "%{HUGE}d"|format(1) }}}}', "a width or precision in format is 999,999,999"),
    "format-star": (f'{{{{ "%*d"|format({HUGE}, 1) }}}}', "a width or precision in format is 999,999,999"),
    "percent": (f'{{{{ "%.{HUGE}f" % 1.5 }}}}', "a width or precision in the % operator is 999,999,999"),
    "percent-mapping": (f'{{{{ "%(a){HUGE}s" % {{"a": 1}} }}}}', "in the % operator is 999,999,999"),
    "str-format": (f'{{{{ "{{:>{HUGE}}}".format(1) }}}}', "a width or precision in a format spec is 999,999,999"),
    "nested-spec": (f'{{{{ "{{:>{{w}}}}".format(1, w={HUGE}) }}}}', "in a format spec is 999,999,999"),
    "format-map": (f'{{{{ "{{a:.{HUGE}f}}".format_map({{"a": 1.5}}) }}}}', "in a format spec is 999,999,999"),
    "ljust": (f'{{{{ "a".ljust({HUGE}) }}}}', "the width of ljust() is 999,999,999"),
    "rjust": (f'{{{{ "a".rjust({HUGE}) }}}}', "the width of rjust() is 999,999,999"),
    "zfill": (f'{{{{ "1".zfill({HUGE}) }}}}', "the width of zfill() is 999,999,999"),
    "indent-width": (f'{{{{ "a"|indent({HUGE}) }}}}', "the width of indent is 999,999,999"),
    "indent-lines": ('{{ ("a\\n" * 400000)|indent(5000) }}', "indent would produce 2,000,805,000 characters"),
    "wordwrap-width": (f'{{{{ "a"|wordwrap({HUGE}) }}}}', "the width of wordwrap is 999,999,999"),
    "wordwrap-string": ('{{ ("a " * 400000)|wordwrap(1, wrapstring="x" * 5000) }}', "wordwrap would produce"),
    "truncate": (f'{{{{ "abc"|truncate({HUGE}) }}}}', "the length of truncate is 999,999,999"),
    "replace": ('{{ ("a" * 500000)|replace("a", "b" * 5000) }}', "replace would produce 2,500,000,000 characters"),
    "replace-method": ('{{ ("a" * 500000).replace("a", "b" * 5000) }}', "replace() would produce"),
    "join": ('{{ range(100000)|join("x" * 500000) }}', "join would produce"),
    "join-method": ('{{ ("x" * 500000).join(range(100000)|map("string")) }}', "join() would produce"),
    "expandtabs": ('{{ ("\\t" * 500000).expandtabs(5000) }}', "expandtabs() would produce"),
    "concat-doubling": (
        '{% set ns = namespace(s="ab") %}{% for i in range(60) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}',
        "joining strings with ~ would produce",
    ),
    "plus-doubling": (
        "{% set ns = namespace(s=[1]) %}{% for i in range(60) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
        "+ would produce",
    ),
    "lipsum": ("{{ lipsum(999999) }}", "lipsum() would produce"),
    "batch": (f"{{{{ [1]|batch({HUGE}, 0)|list }}}}", "the linecount of batch is 999,999,999"),
    "slice": (f"{{{{ [1]|slice({HUGE})|list }}}}", "the slices of slice is 999,999,999"),
}


def build_limited(root: Path) -> subprocess.CompletedProcess[str]:
    """`kmsg-author build` in a process that cannot take more than 1 GiB."""
    code = (
        "import resource, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({ADDRESS_SPACE}, {ADDRESS_SPACE}))\n"
        "from kmsg_authoring.cli import main\n"
        f"sys.exit(main(['-C', {str(root)!r}, 'build', '--no-cache']))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)


def body_with(line: str) -> str:
    return MINIMAL_BODY.replace("</body>", f"\n{line}</body>")


def test_widths_and_repetitions_are_refused_before_they_allocate(make_project: Project) -> None:
    files: dict[str, str | bytes] = {"kmsg.toml": TOML}
    for slug, (line, _) in CASES.items():
        files[f"templates_src/{slug}/template.yaml"] = MINIMAL_YAML
        files[f"templates_src/{slug}/body.html"] = body_with(line)
    root = make_project(files)
    done = build_limited(root)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr[-3000:]
    for slug, (_, message) in CASES.items():
        found = re.search(rf"^templates_src/{slug}/body\.html:4:1: KM001 (.*)$", done.stderr, re.MULTILINE)
        assert found is not None, f"{slug}: {done.stderr[-3000:]}"
        assert message in found.group(1), f"{slug}: {found.group(1)}"


def test_padding_and_formatting_within_the_limits_render_as_jinja_does(make_project: Project) -> None:
    line = (
        '[{{ "%-5s|%.2f|%*d"|format("ab", 3.14159, 4, 7) }}][{{ "%3d" % 5 }}][{{ "{:>6}|{:.1f}".format(7, 2.25) }}]'
        '[{{ "x"|center(5) }}][{{ "a\\nb"|indent(2) }}][{{ "a".ljust(3) }}][{{ "9".zfill(3) }}]'
        '[{{ "one two three"|truncate(9, leeway=0) }}][{{ "aa bb"|wordwrap(2, wrapstring="/") }}]'
        f'[{{{{ "{{:>{MAX_FORMAT_WIDTH}}}".format(1)|length }}}}][{{{{ [1, 2]|join("-") }}}}]'
    )
    root = make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": body_with(line)})
    done = build_limited(root)
    assert done.returncode == 0, done.stderr
    html = (root / "build/t.html").read_text(encoding="utf-8")
    expected = "[ab   |3.14|   7][  5][     7|2.2][  x  ][a\n  b][a  ][009][one...][aa/bb][10000][1-2]"
    assert expected in html


def test_the_size_limit_counts_the_whole_template(make_project: Project) -> None:
    """Subject and body each under the limit, together over it."""
    half = "{{ 'x' * 600000 }}"
    meta = MINIMAL_YAML.replace("subject: Hello {recipient.firstName}", f'subject: "{half}"')
    root = make_project(
        {"kmsg.toml": TOML, "templates_src/t/template.yaml": meta, "templates_src/t/body.html": body_with(half)}
    )
    done = build_limited(root)
    assert done.returncode == 1, done.stderr
    assert "templates_src/t/body.html:4:1: KM001 rendered output too large (1,200,313 > 1,048,576 characters)" in (
        done.stderr
    )


def test_the_size_limit_covers_the_body_as_inlined(make_project: Project) -> None:
    """Inlining a rule on every element can multiply the body: the limit holds after it too."""
    style = "<style>p { " + "; ".join(f"margin-{i}: 0" for i in range(8)) + "; color: #123456 }</style>"
    body = MINIMAL_BODY.replace("</head>", f"{style}</head>").replace("</body>", "<p>x</p>" * 20000 + "</body>")
    root = make_project(
        {"kmsg.toml": TOML, "templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": body}
    )
    done = build_limited(root)
    assert done.returncode == 1, done.stderr
    assert "templates_src/t/body.html:1:1: KM001 the body with its CSS inlined would produce" in done.stderr, (
        done.stderr
    )
