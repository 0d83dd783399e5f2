"""A sample error reads the same from every command: located, with KM002; a FIFO sample is one."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_BODY, MINIMAL_YAML

Project = Callable[[dict[str, str | bytes]], Path]
SAMPLE = "templates_src/t/samples/default.yaml"
BAD = "users: [{id: jane@example.com, firstName: Jane}]\nmsgParams:\n  recipient: {type: String, value: x}\n"

COMMANDS = {
    "samples-check": ["samples", "check"],
    "preview": ["preview", "t", "--out", "previews"],
    "preview-all": ["preview", "--all", "--out", "previews"],
    "build": ["build"],
    "lint": ["lint"],
}


def kmsg(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kmsg_authoring", "-C", str(root), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_a_sample_error_has_its_code_in_every_command(make_project: Project, command: str) -> None:
    root = make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": MINIMAL_BODY})
    (root / SAMPLE).parent.mkdir(parents=True)
    (root / SAMPLE).write_text(BAD, encoding="utf-8")
    done = kmsg(root, *COMMANDS[command])
    assert done.returncode == 1, done.stdout + done.stderr
    text = done.stdout + done.stderr  # lint reports on standard output, the others on standard error
    assert f"{SAMPLE}:3:" in text and ": KM002 msgParams.recipient.type is 'String'" in text, text
    assert "Traceback" not in text


@pytest.mark.parametrize("command", sorted(COMMANDS), ids=sorted(COMMANDS))
def test_a_fifo_in_place_of_a_sample_is_a_located_error(make_project: Project, command: str) -> None:
    root = make_project({"templates_src/t/template.yaml": MINIMAL_YAML, "templates_src/t/body.html": MINIMAL_BODY})
    (root / SAMPLE).parent.mkdir(parents=True)
    os.mkfifo(root / SAMPLE)  # no writer: reading it would wait for ever
    done = kmsg(root, *COMMANDS[command])
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{SAMPLE}:1:1: KM002 not a regular file" in done.stdout + done.stderr, done.stdout + done.stderr
