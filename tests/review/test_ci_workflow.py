"""The example visual-review workflow: snapshots base vs head, report artifact, comment, a11y SARIF, new errors fail."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from kmsg_authoring.cli import build_parser

WORKFLOW = Path(__file__).resolve().parents[2] / "examples" / "ci" / "visual-review.yml"


def steps() -> list[dict[str, Any]]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert list(data["jobs"]) == ["snapshots"]
    assert "pull_request" in data[True]  # YAML reads the key `on` as true
    return list(data["jobs"]["snapshots"]["steps"])


def commands() -> list[str]:
    """Every kmsg-author command line, continuation lines joined."""
    found = []
    for step in steps():
        text = str(step.get("run", "")).replace("\\\n", " ")
        for line in text.splitlines():
            line = line.strip().lstrip("(").replace("cd ../base && ", "")
            if line.startswith("kmsg-author "):
                found.append(re.split(r"\)|\|\||>(?!\S*\})", line)[0].strip())
    return found


def test_snapshots_compare_base_and_head_in_three_engines() -> None:
    lines = [c for c in commands() if c.startswith("kmsg-author snapshot")]
    assert lines and all('--compare "origin/${{ github.base_ref }}"' in c for c in lines)
    assert all("--engine chromium,webkit,firefox" in c for c in lines)
    assert any("--format json" in c for c in lines) and any("--format markdown" in c for c in lines)
    checkout = next(s for s in steps() if "checkout" in str(s.get("uses")))
    assert checkout["with"]["fetch-depth"] == 0
    install = next(s for s in steps() if "apt-get install" in str(s.get("run")))
    for package in ("chromium", "webkit2gtk-driver", "firefox-esr", "xvfb"):
        assert package in install["run"]


def test_report_artifact_comment_and_sarif() -> None:
    all_steps = steps()
    artifact = next(s for s in all_steps if "upload-artifact" in str(s.get("uses")))
    assert "snapshots/" in artifact["with"]["path"] and artifact["if"] == "always()"
    comment = next(s for s in all_steps if "github-script" in str(s.get("uses")))
    assert "snapshot-comment.md" in comment["with"]["script"] and "updateComment" in comment["with"]["script"]
    sarif = next(s for s in all_steps if "upload-sarif" in str(s.get("uses")))
    assert sarif["with"]["sarif_file"] == "kmsg-a11y.sarif"
    assert any("a11y --format sarif -o kmsg-a11y.sarif" in c for c in commands())


def test_new_accessibility_errors_fail_the_job() -> None:
    last = steps()[-1]
    assert "--baseline a11y-base.json" in last["run"] and "continue-on-error" not in last
    assert "|| true" not in last["run"]


def test_commands_parse_with_the_real_cli() -> None:
    parser = build_parser()
    lines = commands()
    assert len(lines) >= 5
    for line in lines:
        argv = shlex.split(re.sub(r"\$\{\{[^}]*\}\}", "X", line).replace("$GITHUB_WORKSPACE", "/w"))[1:]
        args = parser.parse_args(argv)
        assert callable(args.func), line
