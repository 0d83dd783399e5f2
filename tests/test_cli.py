"""The command-line entry point: help, usage errors, and only the requested command loaded."""

from __future__ import annotations

import subprocess
import sys

import pytest

from kmsg_authoring.cli import COMMANDS, build_parser, main


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in COMMANDS:
        assert name.replace("_", "-") in out


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name.replace("_", "-"), "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage:") and len(out.splitlines()) >= 5  # a description, not only a usage line


def test_unknown_command_and_no_command_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bogus"]) == 2
    assert "invalid choice: 'bogus'" in capsys.readouterr().err
    assert main([]) == 2


def test_a_named_command_registers_only_itself() -> None:
    parser = build_parser(["-C", "somewhere", "build", "x"])
    sub = next(a for a in parser._actions if isinstance(a, type(parser._subparsers._group_actions[0])))  # type: ignore[union-attr]
    assert list(sub.choices) == ["build"]


def test_lint_does_not_import_the_preview_or_http_stacks() -> None:
    code = (
        "import sys; from kmsg_authoring.cli import main; main(['lint', '--help']); "
        "print(sorted(m for m in ('httpx', 'watchdog', 'premailer', 'jsonschema', 'jinja2') if m in sys.modules))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip().splitlines()[-1] == "[]"
