"""Pay only for what runs: data types load no parser, and a build with nothing to do loads neither the
compiler nor the linter, and starts no worker processes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, REPO

# What a command should load only when it compiles, lints, renders or checks something.
HEAVY = (
    "lxml",
    "jinja2",
    "yaml",
    "babel",
    "mjml",
    "playwright",
    "jsonschema",
    "css_inline",
    "premailer",
    "multiprocessing",
    "concurrent.futures",
    "kmsg_authoring.compile.compiler",
    "kmsg_authoring.lint.rules",
    "kmsg_authoring.lint.caniemail",
    "kmsg_authoring.lint.scanner",
    "kmsg_authoring.contract.schema",
    "kmsg_authoring.render.samples",
)


def loaded_after(code: str, cwd: Path | None = None) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running code."""
    probe = f"{code}\nimport sys\nprint(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    proc = subprocess.run([sys.executable, "-c", probe], cwd=cwd, capture_output=True, text=True, check=True)
    return eval(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_importing_data_types_loads_no_parser() -> None:
    assert loaded_after("import kmsg_authoring.compile.types") == []
    assert loaded_after("import kmsg_authoring.compile") == []
    assert loaded_after("from kmsg_authoring.project.build import BuildReport") == []


def test_a_warm_build_with_nothing_to_do_reads_and_hashes_only(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root / "templates_src")
    shutil.copy(REPO / "kmsg.toml", root / "kmsg.toml")
    first = "from kmsg_authoring.cli import main\nassert main(['-C', '.', 'build', '-q']) == 0"
    assert "kmsg_authoring.compile.compiler" in loaded_after(first, root)  # the cold build compiles
    outputs = {p: p.stat().st_mtime_ns for p in (root / "build").rglob("*") if p.is_file()}
    assert loaded_after(first, root) == []
    # Nothing was written either: every output keeps its modification time.
    assert {p: p.stat().st_mtime_ns for p in outputs} == outputs


def test_a_build_that_compiles_loads_the_linter_it_needs(tmp_path: Path) -> None:
    root = tmp_path / "examples"
    shutil.copytree(EXAMPLES, root / "templates_src")
    shutil.copy(REPO / "kmsg.toml", root / "kmsg.toml")
    code = "from kmsg_authoring.cli import main\nassert main(['-C', '.', 'build', '-q', 'event-invitation']) == 0"
    loaded = loaded_after(code, root)
    assert {"lxml", "kmsg_authoring.lint.rules", "kmsg_authoring.render.samples"} <= set(loaded)
    assert "multiprocessing" not in loaded  # one template: no pool, no start-up cost
