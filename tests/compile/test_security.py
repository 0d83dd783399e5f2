"""Hostile sources: symlinks out of the project, YAML bombs, endless Jinja, a linter that cannot run.

Each test reproduces a reported attack the way a user (or an attacker's pull request) would set it
up, and runs the command users run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kmsg_authoring.project.build import BuildOptions, build_project
from kmsg_authoring.cli import main
from kmsg_authoring.errors import SourceError
from kmsg_authoring.source.config import load_config
from kmsg_authoring.source.project import ALIAS_BUDGET, load_yaml
from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
FAKE_KS = "djJ8NDI0MnxmYWtlLWtzLW5ldmVyLXRvLWxlYXZlLXRoZS1tYWNoaW5l"
SECRET = f"KALTURA_KS={FAKE_KS}\n"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_subprocess(root: Path, *args: str, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """kmsg-author in a new process, as a user runs it; a hang fails the test instead of stalling it."""
    return subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **env},
        check=False,
    )


def tree_text(folder: Path) -> str:
    """Every byte under folder (outputs, manifest, the cache and its journal), decoded loosely."""
    if not folder.exists():
        return ""
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in folder.rglob("*") if p.is_file())


def minimal(slug: str = "t") -> dict[str, str | bytes]:
    return {f"templates_src/{slug}/template.yaml": MINIMAL_YAML, f"templates_src/{slug}/body.html": MINIMAL_BODY}


# -- 1. confinement ---------------------------------------------------------------------------------
@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the project holding a file with a KS, as /proc/self/environ would."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "environ").write_text(SECRET, encoding="utf-8")
    (folder / "evil").mkdir()
    (folder / "evil/template.yaml").write_text(MINIMAL_YAML.replace("Minimal", "Evil"), encoding="utf-8")
    (folder / "evil/body.html").write_text(MINIMAL_BODY.replace("Hi", SECRET), encoding="utf-8")
    (folder / "sample.yaml").write_text(f"users: []\nmsgParams: {{}}\n# {SECRET}", encoding="utf-8")
    (folder / "style.css").write_text(f"p {{ color: red }} /* {SECRET} */\n", encoding="utf-8")
    return folder


# case -> (files besides a minimal template t, symlinks (link -> target name in `outside`), where the error is)
SYMLINK_CASES: dict[str, tuple[dict[str, str], dict[str, str], str]] = {
    "include": (
        {"templates_src/t/body.html": MINIMAL_BODY.replace("</p>", "</p>{% include '_partials/env.html' %}")},
        {"templates_src/_partials/env.html": "environ"},
        "templates_src/_partials/env.html:1:1",
    ),
    "import": (
        {"templates_src/t/body.html": "{% import '_partials/env.html' as env %}" + MINIMAL_BODY},
        {"templates_src/_partials/env.html": "environ"},
        "templates_src/_partials/env.html:1:1",
    ),
    "extends": (
        {"templates_src/t/body.html": "{% extends '_layouts/base.html' %}"},
        {"templates_src/_layouts/base.html": "environ"},
        "templates_src/_layouts/base.html:1:1",
    ),
    "body": ({}, {"templates_src/t/body.html": "environ"}, "templates_src/t/body.html:1:1"),
    "template-yaml": ({}, {"templates_src/t/template.yaml": "environ"}, "templates_src/t/template.yaml:1:1"),
    "template-folder": ({}, {"templates_src/evil": "evil"}, "templates_src/evil:1:1"),
    "sample": ({}, {"templates_src/t/samples/default.yaml": "sample.yaml"}, "templates_src/t/samples/default.yaml:1:1"),
    "stylesheet-link": (
        {"templates_src/t/body.html": '<link rel="stylesheet" href="../_styles/main.css">' + MINIMAL_BODY},
        {"templates_src/_styles/main.css": "style.css"},
        "templates_src/t/body.html:1:1",
    ),
    "stylesheet-include": (
        {"templates_src/t/body.html": "<style>{% include '_styles/main.css' %}</style>" + MINIMAL_BODY},
        {"templates_src/_styles/main.css": "style.css"},
        "templates_src/_styles/main.css:1:1",
    ),
}


@pytest.mark.parametrize("case", sorted(SYMLINK_CASES), ids=sorted(SYMLINK_CASES))
def test_a_source_symlinked_outside_the_project_is_a_located_error_and_never_read(
    make_project: Project, outside: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    files, links, where = SYMLINK_CASES[case]
    root = make_project({**minimal(), **minimal("ok"), **files})
    for link, target in links.items():
        (root / link).parent.mkdir(parents=True, exist_ok=True)
        (root / link).unlink(missing_ok=True)
        (root / link).symlink_to(outside / target)
    code, out, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 1, out + err
    assert f"{where}: " in err and "outside the project" in err, err
    assert "Traceback" not in err
    built = root / "build"
    assert FAKE_KS not in tree_text(built) + out + err
    assert (built / "ok.json").is_file()  # the other template still builds
    manifest = (built / "manifest.json").read_text(encoding="utf-8")
    assert str(outside) not in manifest and str(root) not in manifest


def test_proc_self_environ_included_through_a_symlink_is_refused(
    make_project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reported attack itself: the process environment holds the KS."""
    monkeypatch.setenv("KALTURA_KS", FAKE_KS)
    root = make_project(
        {
            **minimal(),
            "templates_src/t/body.html": MINIMAL_BODY.replace("</p>", "</p>{% include '_partials/env.html' %}"),
        }
    )
    (root / "templates_src/_partials").mkdir()
    (root / "templates_src/_partials/env.html").symlink_to("/proc/self/environ")
    code, out, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 1
    assert "templates_src/_partials/env.html:1:1: KM001 leads outside the project" in err
    assert FAKE_KS not in tree_text(root / "build") + out + err


def test_symlinks_inside_the_project_are_followed_and_paths_stay_project_relative(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        {
            "shared/button.html": '<a href="{joinLink}">Join</a>',
            "shared/theme.css": "p { color: #123456 }",
            "templates_src/t/template.yaml": MINIMAL_YAML.replace(
                "{type: User}", "{type: User}\n  joinLink: {type: String}"
            ),
            "templates_src/t/body.html": MINIMAL_BODY.replace(
                "</p>", "</p>{% include '_partials/button.html' %}"
            ).replace("<title>", '<link rel="stylesheet" href="../_styles/theme.css"><title>'),
        }
    )
    (root / "templates_src/_partials").mkdir()
    (root / "templates_src/_partials/button.html").symlink_to(root / "shared/button.html")
    (root / "templates_src/_styles").symlink_to("../shared", target_is_directory=True)
    (root / "templates_src/alias").symlink_to("t", target_is_directory=True)
    code, _, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 0, err
    body = (root / "build/t.html").read_text(encoding="utf-8")
    assert 'href="{joinLink}"' in body and "#123456" in body
    manifest = json.loads((root / "build/manifest.json").read_text(encoding="utf-8"))["templates"]
    paths = {t["path"] for entry in manifest.values() for t in entry["tokens"]}
    assert paths and all(not p.startswith("/") and ".." not in p for p in paths), paths
    assert "shared/button.html" in paths  # a token is located in the file the designer edits


def test_publish_with_a_symlinked_secret_sends_nothing(
    example_project: Path,
    outside: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sandbox = pytest.importorskip("kmsg_authoring.sandbox")
    from kmsg_authoring.api import MessagingClient

    ks = sandbox.make_ks(4242)
    monkeypatch.setenv("KALTURA_KS", ks)
    partial = example_project / "templates_src/_partials/env.html"
    partial.symlink_to(outside / "environ")
    layout = example_project / "templates_src/_layouts/base.html"
    layout.write_text(
        layout.read_text(encoding="utf-8").replace("</body>", "{% include '_partials/env.html' %}</body>"),
        encoding="utf-8",
    )
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        toml = example_project / "kmsg.toml"
        toml.write_text(
            re.sub(r'url = "[^"]*"', f'url = "{sb.url}"', toml.read_text(encoding="utf-8")), encoding="utf-8"
        )
        code, out, err = run_cli(capsys, "-C", str(example_project), "publish", "--env", "sandbox")
        with MessagingClient(sb.url, ks, sleep=lambda s: None) as client:
            remote = client.list_templates()
    assert code != 0
    assert "templates_src/_partials/env.html:1:1: KM001 leads outside the project" in out + err
    assert remote == [] and not [r for r in sb.request_log if r != "email-template/list"]
    assert FAKE_KS not in tree_text(example_project / "build") + out + err + json.dumps(remote)


def test_a_source_replaced_by_a_fifo_fails_instead_of_blocking(make_project: Project) -> None:
    root = make_project({**minimal(), **minimal("ok")})
    assert run_subprocess(root, "build").returncode == 0
    # The cache checks whether the body changed: reading a FIFO would wait for a writer for ever.
    (root / "templates_src/t/body.html").unlink()
    os.mkfifo(root / "templates_src/t/body.html")
    proc = run_subprocess(root, "build")
    assert proc.returncode == 1
    assert "templates_src/t/body.html:1:1: KM001 missing body.html" in proc.stderr and "Traceback" not in proc.stderr


def test_config_folders_must_stay_inside_the_project(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    for setting in ('src = "../elsewhere"', 'out = "/tmp/kmsg-out"'):
        root = make_project({**minimal(), "kmsg.toml": f"[build]\n{setting}\n"})
        code, _, err = run_cli(capsys, "-C", str(root), "build")
        assert code == 2 and "must be a folder inside the project" in err, err


# -- 3. YAML ----------------------------------------------------------------------------------------
def alias_bomb(levels: int, indent: str = "") -> str:
    lines = [f'{indent}l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"{indent}l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_a_yaml_alias_bomb_in_template_yaml_fails_at_its_line(make_project: Project) -> None:
    root = make_project(
        {
            **minimal(),
            **minimal("ok"),
            "templates_src/t/template.yaml": MINIMAL_YAML + "kmsg:\n  lint: {}\n" + alias_bomb(9),
        }
    )
    proc = run_subprocess(root, "build")
    assert proc.returncode == 1
    line = 7 + 5  # l4, the first level whose expansion (9**5 lols) passes the budget
    assert f"templates_src/t/template.yaml:{line}:5: KM001 YAML aliases expand too far here" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and (root / "build/ok.json").is_file()


def test_a_yaml_alias_bomb_in_a_sample_fails_at_its_line(make_project: Project) -> None:
    root = make_project(
        {**minimal(), "templates_src/t/samples/default.yaml": "users: []\nmsgParams: {}\nx:\n" + alias_bomb(9, "  ")}
    )
    for command in ("build", "lint"):
        proc = run_subprocess(root, command)
        assert proc.returncode == 1
        assert "templates_src/t/samples/default.yaml:" in proc.stderr + proc.stdout
        assert "YAML aliases expand too far" in proc.stderr + proc.stdout
        assert "Traceback" not in proc.stderr


def test_duplicate_yaml_keys_are_located_errors(make_project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_project({**minimal(), "templates_src/t/template.yaml": MINIMAL_YAML + "name: Renamed\n"})
    code, _, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 1
    assert "templates_src/t/template.yaml:6:1: KM001 duplicate key 'name' (first at line 1)" in err
    assert not (root / "build/t.json").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: &x [1, *x]\n", "1:4: recursive YAML alias"),
        ("a: " + "[" * 150 + "]" * 150 + "\n", "YAML nested too deeply"),
        ("m:\n  k: 1\n  k: 2\n", "3:3: duplicate key 'k'"),
        (
            "a: &big " + "x" * (ALIAS_BUDGET // 2) + "\nb: [*big, *big, *big, *big]\n",
            "2:4: YAML aliases expand too far",
        ),
        ("msgParamsMap:\n  name: {type: String}\n  on: {type: String}\n", "3:3: key 'on' is not read as text (bool)"),
        ("m:\n  1: x\n", "2:3: key '1' is not read as text (int)"),
    ],
    ids=["recursive", "deep", "nested-duplicate", "long-string-aliased", "boolean-key", "number-key"],
)
def test_yaml_limits(text: str, message: str) -> None:
    with pytest.raises(SourceError) as info:
        load_yaml(text, "f.yaml")
    assert message in str(info.value)


def test_a_key_yaml_reads_as_a_boolean_fails_the_build_at_its_line(make_project: Project) -> None:
    # `on:` next to ordinary keys used to crash the build while it sorted the payload's keys.
    root = make_project(
        {
            **minimal(),
            "templates_src/t/template.yaml": MINIMAL_YAML.replace(
                "msgParamsMap:\n", "msgParamsMap:\n  on: {type: String}\n"
            ),
        }
    )
    proc = run_subprocess(root, "build")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "templates_src/t/template.yaml:" in proc.stderr and "key 'on' is not read as text" in proc.stderr


def test_ordinary_anchors_and_merge_keys_still_work() -> None:
    doc = load_yaml("base: &b {x: 1, y: 2}\nt:\n  <<: *b\n  y: 3\nlist: [*b, *b]\n", "f.yaml")
    assert doc.data["t"] == {"x": 1, "y": 3} and doc.data["list"] == [{"x": 1, "y": 2}] * 2


# -- 4. fail closed ---------------------------------------------------------------------------------
NO_LINTER = (
    "import sys; sys.modules['kmsg_authoring.lint'] = None\n"
    "from kmsg_authoring.cli import main\nraise SystemExit(main(sys.argv[1:]))"
)


def test_build_fails_when_the_linter_cannot_be_imported(make_project: Project) -> None:
    # A template with an error-level finding: a missing linter must not let it through.
    root = make_project(
        {
            **minimal(),
            "templates_src/t/body.html": MINIMAL_BODY.replace("{recipient.firstName}", "{recipient.firstname}"),
        }
    )
    proc = subprocess.run(
        [sys.executable, "-c", NO_LINTER, "-C", str(root), "build"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    # The command may stop as it loads the finding formatter, or the build's own gate may stop it.
    assert "the linter cannot run" in proc.stderr or "part of kmsg-author cannot be loaded" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (root / "build/t.json").exists()


def test_lint_fails_in_one_line_when_the_linter_cannot_be_imported(make_project: Project) -> None:
    root = make_project(minimal())
    proc = subprocess.run(
        [sys.executable, "-c", NO_LINTER, "-C", str(root), "lint"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("kmsg-author: part of kmsg-author cannot be loaded") and proc.stderr.count("\n") == 1


def test_plan_and_publish_fail_when_the_linter_cannot_be_imported(
    example_project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sandbox = pytest.importorskip("kmsg_authoring.sandbox")
    monkeypatch.setenv("KALTURA_KS", sandbox.make_ks(4242))
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        toml = example_project / "kmsg.toml"
        toml.write_text(
            re.sub(r'url = "[^"]*"', f'url = "{sb.url}"', toml.read_text(encoding="utf-8")), encoding="utf-8"
        )
        monkeypatch.setitem(sys.modules, "kmsg_authoring.lint", None)
        for command in ("plan", "publish"):
            code, out, err = run_cli(capsys, "-C", str(example_project), command, "--env", "sandbox")
            assert code != 0 and "the linter cannot run" in out + err, out + err
        assert not [r for r in sb.request_log if r != "email-template/list"]


def test_a_rule_that_crashes_fails_the_build(
    make_project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kmsg_authoring.lint

    def crash(compiled: Any, config: Any) -> list[Any]:
        raise ValueError("rule bug")

    monkeypatch.setattr(kmsg_authoring.lint, "lint_template", crash)
    root = make_project(minimal())
    code, _, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 1 and "the linter could not check this template (ValueError: rule bug)" in err
    assert not (root / "build/t.json").exists()


# -- 12. Jinja budgets ------------------------------------------------------------------------------
ENDLESS: dict[str, tuple[str, str]] = {
    "nested-range": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
        "rendering took longer than 1 s",
    ),
    "macro-fan-out": (
        "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(60) }}",
        "rendering took longer than 1 s",
    ),
    "string-product": ("{{ 'x' * 100000000 }}", "rendered output too large (100,000,000 > 1,048,576 characters)"),
    "output-flood": ("{% for i in range(100000) %}{{ 'y' * 1000 }}{% endfor %}", "rendered output too large"),
    "power": ("{{ 2 ** 100000000 }}", "number too large"),
}


@pytest.mark.parametrize("case", sorted(ENDLESS), ids=sorted(ENDLESS))
def test_endless_or_huge_jinja_stops_at_the_template(make_project: Project, case: str) -> None:
    snippet, message = ENDLESS[case]
    root = make_project(
        {
            "kmsg.toml": "[build]\nrender_time_limit = 1\nrender_size_limit_mb = 1\n",
            **minimal(),
            **minimal("ok"),
            "templates_src/t/body.html": MINIMAL_BODY.replace("</body>", f"\n{snippet}</body>"),
        }
    )
    proc = run_subprocess(root, "build", timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "templates_src/t/body.html:4:" in proc.stderr and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and (root / "build/ok.json").is_file()


def test_render_limits_are_settings_checked_in_kmsg_toml(
    make_project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project({**minimal(), "kmsg.toml": "[build]\nrender_time_limit = -1\n"})
    code, _, err = run_cli(capsys, "-C", str(root), "build")
    assert code == 2 and "render_time_limit must be a positive number" in err


# -- 6. the cache is keyed by what was compiled ----------------------------------------------------
def test_a_source_edited_and_reverted_during_a_build_is_rebuilt(
    make_project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    import kmsg_authoring.compile as compile_module

    root = make_project(minimal())
    body = root / "templates_src/t/body.html"
    real_compile = compile_module.compile_template

    def edited_meanwhile(*args: Any, **kwargs: Any) -> Any:
        # The designer saves a draft just before the compile reads, and reverts just after.
        body.write_text(MINIMAL_BODY.replace("Hi", "DRAFT"), encoding="utf-8")
        try:
            return real_compile(*args, **kwargs)
        finally:
            body.write_text(MINIMAL_BODY, encoding="utf-8")

    config = load_config(root)
    monkeypatch.setattr(compile_module, "compile_template", edited_meanwhile)
    build_project(config, None, BuildOptions(load_unchanged=False))
    assert "DRAFT" in (root / "build/t.html").read_text(encoding="utf-8")  # what was read
    monkeypatch.setattr(compile_module, "compile_template", real_compile)
    report = build_project(config, None, BuildOptions(load_unchanged=False))
    assert report.rebuilt == ["t"]
    assert "DRAFT" not in (root / "build/t.html").read_text(encoding="utf-8")
    assert build_project(config, None, BuildOptions(load_unchanged=False)).unchanged == ["t"]


def test_a_partial_created_later_where_an_include_looked_is_a_change(make_project: Project) -> None:
    root = make_project(
        {
            **minimal(),
            "templates_src/_partials/b.html": "<p>from b</p>",
            "templates_src/t/body.html": MINIMAL_BODY.replace(
                "</p>", "</p>{% include ['_partials/a.html', '_partials/b.html'] %}"
            ),
        }
    )
    config = load_config(root)
    build_project(config)
    (root / "templates_src/_partials/a.html").write_text("<p>from a</p>", encoding="utf-8")
    assert build_project(config).rebuilt == ["t"]
    assert "from a" in (root / "build/t.html").read_text(encoding="utf-8")


# -- 5 and 11. a shared, busy or unusable cache ----------------------------------------------------
@pytest.fixture
def fast_busy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("kmsg_authoring.project.cache.BUSY_TIMEOUT", 0.1)


@pytest.mark.parametrize("lock", ["write", "exclusive"])
@pytest.mark.usefixtures("fast_busy")
def test_a_cache_held_by_another_process_is_a_miss(example_project: Path, lock: str) -> None:
    import sqlite3

    config = load_config(example_project)
    build_project(config)
    holder = sqlite3.connect(example_project / "build/.cache.sqlite", isolation_level=None)
    try:
        if lock == "exclusive":
            holder.execute("PRAGMA locking_mode=EXCLUSIVE")
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("DELETE FROM templates WHERE slug = 'nothing'")
        body = example_project / "templates_src/reminder/body.html"
        body.write_text(body.read_text(encoding="utf-8").replace("quick reminder", "short reminder"), encoding="utf-8")
        report = build_project(config)  # the shipped version died here: "database is locked"
        assert not report.failures and not report.notes
        assert "short reminder" in (example_project / "build/reminder.html").read_text(encoding="utf-8")
    finally:
        holder.close()
    assert build_project(config).rebuilt == ["reminder"]  # its store was skipped: compiled again, once
    assert build_project(config).rebuilt == []


@contextmanager
def read_only(*paths: Path) -> Iterator[None]:
    """Make paths read-only for this process, even for root, whom permission bits do not stop."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in paths}
        for p in paths:
            p.chmod(0o555 if p.is_dir() else 0o444)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    if (
        shutil.which("chattr") is None
        or subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, check=False).returncode
    ):
        pytest.skip("running as root where the file system does not support chattr +i: cannot make a file read-only")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *map(str, paths)], check=True)


def edit_reminder(root: Path, text: str) -> None:
    body = root / "templates_src/reminder/body.html"
    body.write_text(body.read_text(encoding="utf-8").replace("quick reminder", text), encoding="utf-8")


def test_a_read_only_build_folder_is_a_one_line_error(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    edit_reminder(example_project, "short reminder")
    with read_only(example_project / "build"):
        code, _, err = run_cli(capsys, "-C", str(example_project), "build")
        assert code == 1
        assert re.fullmatch(
            r"(kmsg-author: warning: build cache not used: [^\n]*\n)?"
            r"kmsg-author: cannot write build/: [^\n]+\n",
            err,
        ), err
        lint_code, _, lint_err = run_cli(capsys, "-C", str(example_project), "lint")
        assert lint_code == 0 and "Traceback" not in lint_err
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    assert "short reminder" in (example_project / "build/reminder.html").read_text(encoding="utf-8")


def test_a_read_only_cache_file_still_builds(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    edit_reminder(example_project, "short reminder")
    cache = example_project / "build/.cache.sqlite"
    for suffix in ("-wal", "-shm"):
        Path(f"{cache}{suffix}").unlink(missing_ok=True)
    with read_only(cache):
        code, _, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0, err
    assert "Traceback" not in err and len(err.splitlines()) <= 1
    assert "short reminder" in (example_project / "build/reminder.html").read_text(encoding="utf-8")


def test_a_cache_path_that_is_a_folder_is_reported_in_one_line(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (example_project / "build/.cache.sqlite").mkdir(parents=True)
    code, _, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0
    assert err == "kmsg-author: warning: build cache not used: build/.cache.sqlite is a folder; remove it\n"
    # Six outputs: the example attendance confirmation is built once per locale.
    assert len(json.loads((example_project / "build/manifest.json").read_text())["templates"]) == 6
    assert run_cli(capsys, "-C", str(example_project), "lint")[0] == 0


def test_a_corrupt_cache_is_rebuilt_silently(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    (example_project / "build/.cache.sqlite").write_bytes(b"\x00garbage" * 1000)
    code, out, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0 and err == "" and "(0 unchanged" in out
    assert "(4 unchanged" in run_cli(capsys, "-C", str(example_project), "build")[1]


def test_damaged_cache_rows_are_misses(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    with sqlite3.connect(example_project / "build/.cache.sqlite") as db:
        db.execute("UPDATE templates SET deps = 'not json' WHERE slug = 'reminder'")
        db.execute("UPDATE templates SET deps = '[1, 2]', record = '{' WHERE slug = 'follow-up'")
    code, out, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0 and err == "" and "(2 unchanged" in out
    assert run_cli(capsys, "-C", str(example_project), "lint")[0] == 0


def test_build_folder_removed_during_a_build_is_a_clear_error(
    example_project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import kmsg_authoring.compile as compile_module

    assert run_cli(capsys, "-C", str(example_project), "build")[0] == 0
    edit_reminder(example_project, "short reminder")
    real_compile = compile_module.compile_template

    def remove_build(*args: Any, **kwargs: Any) -> Any:
        shutil.rmtree(example_project / "build")  # `git clean -fdx` in another terminal
        return real_compile(*args, **kwargs)

    monkeypatch.setattr(compile_module, "compile_template", remove_build)
    code, out, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 1
    assert err.endswith("kmsg-author: build/ was removed during the build; run the build again\n"), err
    assert "Traceback" not in err and len(err.splitlines()) <= 2
    monkeypatch.setattr(compile_module, "compile_template", real_compile)
    code, out, err = run_cli(capsys, "-C", str(example_project), "build")
    assert code == 0 and "built 4 of 4" in out
    assert sorted(p.name for p in (example_project / "build").glob("*.json")) == [
        "attendance-confirmation.en.json",
        "attendance-confirmation.fr.json",
        "attendance-confirmation.he.json",
        "event-invitation.json",
        "follow-up.json",
        "manifest.json",
        "reminder.json",
    ]
