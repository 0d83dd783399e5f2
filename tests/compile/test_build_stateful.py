"""build/ is always the truth: random edits, reverts and commands, then build/ equals a fresh no-cache build.

A hypothesis state machine works on a copy of the repository's example project (layouts, partials, a
stylesheet, samples, an MJML body, two locales). Its steps edit any source (bodies, a layout, a partial,
the CSS, template.yaml, a sample, a .po, kmsg.toml's [build], [lint] and [i18n] settings), revert files,
and run the commands the CLI offers, in process: lint, build, preview, compat, contract, check-params,
snapshot (its build stage, without a browser), i18n, plan and publish (their build stage, which is what
they write to build/). After every step:

- a `build` would leave build/ byte-identical to `build --no-cache` in a fresh copy of the same sources
  (the build is run, compared and build/ put back as it was, so the check changes no later step);
- the gates agree: every command reports the same findings and exit status as in a fresh copy.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from kmsg_authoring.cli import main
from kmsg_authoring.errors import EXIT_USAGE, KmsgError
from kmsg_authoring.source.config import load_config
from tests.conftest import EXAMPLES, REPO

FR_PO = "templates_src/_locales/fr/LC_MESSAGES/messages.po"
# Each edit: (file, text in the example project, replacement). Edits of one file touch different text,
# so any set of them can stand at once; a revert puts a file back as the example project has it.
EDITS: tuple[tuple[str, str, str], ...] = (
    ("templates_src/event-invitation/body.html", "Join us at", "Come to"),
    ("templates_src/event-invitation/body.html", "please don't forward it.</p>", "please.</p><script>x()</script>"),
    ("templates_src/event-invitation/body.html", "<h1>", '<img src="https://img.example.com/a.png"><h1>'),
    ("templates_src/reminder/body.html", "{% block content %}", "{% block content %}{% if %}"),
    ("templates_src/reminder/body.html", "a quick reminder", "a short reminder"),
    ("templates_src/_layouts/base.html", "<title>", "<title>Re: "),
    ("templates_src/_partials/button.html", 'class="button"', 'class="button cta"'),
    ("templates_src/_styles/main.css", "#616e7c", "#525f6b"),
    ("templates_src/event-invitation/template.yaml", "subject: ", "subject: Now {nope} "),
    # A template trying to switch off a guard: refused (exit 2) by every command that lints.
    (
        "templates_src/event-invitation/template.yaml",
        "msgParamsMap:",
        "kmsg: {lint: {disable: [KM502]}}\nmsgParamsMap:",
    ),
    ("templates_src/follow-up/template.yaml", "adminTags: follow-up", "adminTags: follow-up, thanks"),
    ("templates_src/reminder/samples/default.yaml", "value: in one hour}", "value: [1, 2]}"),
    ("templates_src/attendance-confirmation/body.mjml", "<mj-text", '<mj-text color="#202020"'),
    (FR_PO, 'msgstr "Inscription confirmée : {eventName}"', 'msgstr "Inscription confirmée"'),
    (FR_PO, 'msgstr "Inscription confirmée : {eventName}"', 'msgstr "Vous êtes inscrit : {eventName}"'),
    ("kmsg.toml", 'inliner = "css-inline"', 'inliner = "premailer"'),
    ("kmsg.toml", "[build]\n", "[build]\nrender_size_limit_mb = 5\n"),
    ("kmsg.toml", "[brand]", "[build.mjml]\nminify = true\n\n[brand]"),
    ("kmsg.toml", "[lint]\n", '[lint]\nseverity = {KM504 = "error"}\n'),
    ("kmsg.toml", 'default_locale = "en"', 'default_locale = "fr"'),
    ("kmsg.toml", 'inliner = "css-inline"', 'inliner = "inline-everything"'),  # refused: exit 2
    (
        "kmsg.toml",
        "[i18n]                         # templates with {% trans %} / _() build once per locale\n"
        'locales = ["en", "fr"]\ndefault_locale = "en"\n',
        "",
    ),
)
CHECK_PARAMS = '{"recipient": {"type": "User", "value": "Message.userId"}, "eventName": "Launch"}\n'


def example_project(root: Path) -> None:
    """The example project with two locales (en, fr)."""
    shutil.copytree(EXAMPLES, root / "templates_src")
    shutil.rmtree(root / "templates_src/_locales/he")
    (root / "templates_src/attendance-confirmation/samples/hebrew.yaml").unlink()
    toml = (REPO / "kmsg.toml").read_text(encoding="utf-8").replace('["en", "fr", "he"]', '["en", "fr"]')
    (root / "kmsg.toml").write_text(toml, encoding="utf-8")
    for path, old, _ in EDITS:
        assert old in (root / path).read_text(encoding="utf-8"), (path, old)


def sources_hash(root: Path) -> str:
    return tree_hash(root / "templates_src") + hashlib.sha256((root / "kmsg.toml").read_bytes()).hexdigest()


def tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def fresh_copy(root: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    shutil.copy(root / "kmsg.toml", dest / "kmsg.toml")
    shutil.copytree(root / "templates_src", dest / "templates_src")
    return dest


def outputs(root: Path) -> dict[str, bytes]:
    """build/ but the cache."""
    build = root / "build"
    if not build.is_dir():
        return {}
    return {
        p.relative_to(build).as_posix(): p.read_bytes()
        for p in sorted(build.rglob("*"))
        if p.is_file() and not p.name.startswith(".cache.sqlite")
    }


def cli(root: Path, *args: str) -> tuple[int, str]:
    """The CLI in process: its exit status and its output."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main(["-C", str(root), *args])
    return code, out.getvalue()


def findings(text: str, *, warnings: bool = True) -> list[str]:
    """What a run found: its located findings and its error lines (not timings or cache counts)."""
    return sorted(
        line
        for line in text.splitlines()
        if (" KM" in line or line.startswith("kmsg-author:")) and (warnings or not line.endswith("(warning)"))
    )


def summary(code: int, text: str, *, all_output: bool = False, warnings: bool = True) -> tuple[int, list[str]]:
    """A command's exit status and findings; an incremental build reports the warnings of what it
    compiles, so its gates are its errors."""
    return code, (text.splitlines() if all_output else findings(text, warnings=warnings))


def run_build_stage(root: Path, stage: Callable[[Any], Any]) -> tuple[int, list[str]]:
    """A command's build stage (library function) on the project: ok, or its error lines."""
    try:
        result = stage(load_config(root))
    except KmsgError as exc:
        return 1, sorted(str(exc).splitlines())
    return 0, sorted(str(x) for x in result) if isinstance(result, (list, tuple)) else []


def plan_stage(config: Any) -> list[str]:
    from kmsg_authoring.publish.plan import local_templates

    return [t.name for t in local_templates(config)]


def snapshot_stage(config: Any) -> list[str]:
    from kmsg_authoring.review.snapshot import _compile

    _, compiled, failures = _compile(config, None)
    return sorted(compiled) + [f"{k}: {e}" for k, errs in sorted(failures.items()) for e in errs]


class Commands:
    """Every command, as (project root, scratch folder) -> (exit status, what it found)."""

    @staticmethod
    def run(name: str, root: Path, scratch: Path) -> tuple[int, list[str]]:
        if name in ("lint", "compat"):
            return summary(*cli(root, name), all_output=name == "compat")
        if name == "build":
            return summary(*cli(root, name), warnings=False)
        if name == "preview":
            return summary(*cli(root, "preview", "--all", "--out", str(scratch / "preview-out")), warnings=False)
        if name == "contract":
            return summary(*cli(root, "contract"), all_output=True)
        if name == "check-params":
            params = scratch / "params.json"
            params.write_text(CHECK_PARAMS, encoding="utf-8")
            code, text = cli(root, "check-params", "event-invitation", str(params))
            return code, sorted(text.replace(str(params), "params.json").splitlines())
        if name == "i18n":
            return summary(*cli(root, "i18n", "status"), all_output=True)
        if name == "snapshot":
            return run_build_stage(root, snapshot_stage)
        # plan and publish: what they write to build/ is their build stage; both refuse the same way.
        return run_build_stage(root, plan_stage)


COMMANDS = ("lint", "build", "preview", "compat", "contract", "check-params", "snapshot", "i18n", "plan", "publish")


class BuildIsTheTruth(RuleBasedStateMachine):
    """Edits, reverts and commands in any order; after each step, build/ and the gates tell the truth."""

    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="kmsg-stateful-"))
        self.root = self.tmp / "project"
        self.root.mkdir()
        example_project(self.root)
        self.original = {p: (self.root / p).read_bytes() for p in {e[0] for e in EDITS}}
        self.checked: set[tuple[str, str]] = set()

    def teardown(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    @initialize()
    def first_build(self) -> None:
        self.command("build")  # a project is built before it is edited

    @rule(edit=st.sampled_from(EDITS))
    def edit(self, edit: tuple[str, str, str]) -> None:
        path, old, new = edit
        text = (self.root / path).read_text(encoding="utf-8")
        (self.root / path).write_text(text.replace(old, new), encoding="utf-8")

    @precondition(lambda self: any((self.root / p).read_bytes() != b for p, b in self.original.items()))
    @rule(data=st.data())
    def revert(self, data: st.DataObject) -> None:
        changed = sorted(p for p, b in self.original.items() if (self.root / p).read_bytes() != b)
        path = data.draw(st.sampled_from(changed), label="revert")
        (self.root / path).write_bytes(self.original[path])

    # The two commands run most (the pre-commit hook's lint, the build) have rules of their own, so that
    # runs meet them as often as projects do; the others share one.
    @rule()
    def lint(self) -> None:
        self.command("lint")

    @rule()
    def build(self) -> None:
        self.command("build")

    @rule(name=st.sampled_from(COMMANDS))
    def command(self, name: str) -> None:
        got = Commands.run(name, self.root, self.tmp)
        assert got == self.fresh(name), f"{name}: the gates differ from a fresh run's"

    def fresh(self, name: str) -> tuple[int, list[str]]:
        """The command's result in a fresh copy of the sources (remembered per state of the sources)."""
        key = (name, sources_hash(self.root))
        if key not in FRESH:
            copy = fresh_copy(self.root, self.tmp / "fresh")
            FRESH[key] = Commands.run(name, copy, self.tmp)
        return FRESH[key]

    def fresh_build(self) -> tuple[tuple[int, list[str]], dict[str, bytes]]:
        key = ("build --no-cache", sources_hash(self.root))
        if key not in FRESH_OUTPUTS:
            copy = fresh_copy(self.root, self.tmp / "fresh")
            FRESH_OUTPUTS[key] = (summary(*cli(copy, "build", "--no-cache"), warnings=False), outputs(copy))
        return FRESH_OUTPUTS[key]

    def check_build_is_the_truth(self) -> None:
        # Run the next build, compare, and put build/ (and its cache) back as the steps left it. A state
        # already checked (sources and build/ byte for byte, the cache included) is not checked again.
        state = (sources_hash(self.root), tree_hash(self.root / "build"))
        if state in self.checked:
            return
        self.checked.add(state)
        build, saved = self.root / "build", self.tmp / "saved-build"
        shutil.rmtree(saved, ignore_errors=True)
        if build.is_dir():
            shutil.copytree(build, saved)
        try:
            gates = summary(*cli(self.root, "build"), warnings=False)
            expected_gates, expected = self.fresh_build()
            assert gates == expected_gates, "the build's findings differ from a fresh build's"
            if gates[0] == EXIT_USAGE:
                return  # kmsg.toml cannot be read: nothing is built, build/ stays as it was
            got = outputs(self.root)
            assert sorted(got) == sorted(expected), "build/ holds other files than a fresh build"
            stale = [name for name in got if got[name] != expected[name]]
            assert not stale, f"build/ differs from a fresh build in {stale}"
        finally:
            shutil.rmtree(build, ignore_errors=True)
            if saved.is_dir():
                shutil.move(saved, build)

    @invariant()
    def build_is_the_truth(self) -> None:
        self.check_build_is_the_truth()


FRESH: dict[tuple[str, str], tuple[int, list[str]]] = {}
FRESH_OUTPUTS: dict[tuple[str, str], tuple[tuple[int, list[str]], dict[str, bytes]]] = {}

BuildIsTheTruth.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=10,
    deadline=None,
    # No shrinking: a failing run of at most stateful_step_count steps reads well as it is, and
    # shrinking a run of real builds takes minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_build_is_the_truth = BuildIsTheTruth.TestCase
