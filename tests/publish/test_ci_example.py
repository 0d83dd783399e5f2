"""The example GitHub Actions workflow: lint with SARIF on PRs, plan on PRs, publish on main."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import yaml

from kmsg_authoring.cli import build_parser

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "github-actions.yml"


def load() -> dict[str, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def commands(job: dict[str, Any]) -> list[str]:
    """Every kmsg-author command line of a job's run steps."""
    found = []
    for step in job["steps"]:
        for line in str(step.get("run", "")).splitlines():
            if line.strip().startswith("kmsg-author "):
                found.append(re.split(r"[|>]", line)[0].strip())
    return found


def test_jobs_run_on_the_right_events() -> None:
    jobs = load()["jobs"]
    assert "pull_request" in jobs["lint"]["if"] and "pull_request" in jobs["plan"]["if"]
    assert "refs/heads/main" in jobs["publish"]["if"] and "push" in jobs["publish"]["if"]


def test_lint_uploads_sarif_even_on_findings() -> None:
    lint = load()["jobs"]["lint"]
    assert any("--format sarif" in c for c in commands(lint))
    upload = next(s for s in lint["steps"] if "upload-sarif" in str(s.get("uses", "")))
    assert upload["if"] == "always()"
    assert lint["permissions"]["security-events"] == "write"


def test_ks_comes_from_secrets_only() -> None:
    jobs = load()["jobs"]
    for name in ("plan", "publish"):
        envs = [s.get("env", {}) for s in jobs[name]["steps"]]
        assert {"KALTURA_KS": "${{ secrets.KALTURA_KS }}"} in envs
    assert "secrets." not in str(jobs["lint"])


@pytest.mark.parametrize("job", ["lint", "plan", "publish"])
def test_commands_parse_with_the_real_cli(job: str) -> None:
    lines = commands(load()["jobs"][job])
    assert lines
    parser = build_parser()
    for line in lines:
        argv = shlex.split(line.replace('"$KMSG_ENV"', "production"))[1:]
        args = parser.parse_args(argv)
        assert args.func is not None
        assert args.format in ("sarif", "json", "text")
        if job != "lint":
            assert args.env == "production"


def test_every_job_installs_the_tool_from_the_documented_reference() -> None:
    """pip install from the Git repository and revision of the KMSG_AUTHOR_REPO/REV variables (docs/ci.md)."""
    data = load()
    assert data["env"]["KMSG_AUTHOR"] == ("kmsg-author @ git+${{ vars.KMSG_AUTHOR_REPO }}@${{ vars.KMSG_AUTHOR_REV }}")
    for name, job in data["jobs"].items():
        installs = [str(s["run"]) for s in job["steps"] if "pip install" in str(s.get("run", ""))]
        assert installs == ['pip install "$KMSG_AUTHOR"'], name


def test_publishing_is_serialized_per_environment() -> None:
    # Issue 9, item 2: two CI runs on two merges must not publish at once.
    data = load()
    publish = data["jobs"]["publish"]
    group = publish["concurrency"]["group"]
    assert publish["concurrency"]["cancel-in-progress"] is False  # never stop a publish half-way
    # One group per environment, not per branch or run: every publish to it queues behind the running one.
    assert "github.ref" not in group and "github.run" not in group and "github.sha" not in group
    assert data["env"]["KMSG_ENV"] in group
