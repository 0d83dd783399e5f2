"""`kmsg-author sandbox` as a user runs it: a subprocess on a free port, talked to over HTTP, stopped with Ctrl-C."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from kmsg_authoring.cli import main
from tests.sandbox.conftest import template_body

REPO = Path(__file__).resolve().parents[2]


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float = 20.0) -> str:
    """Standard output up to the line holding marker; each line is read in a thread, so a silent server
    fails the test instead of hanging it, and nothing reads past the marker (communicate() gets the rest)."""
    assert proc.stdout is not None
    stream = proc.stdout
    lines: queue.Queue[str] = queue.Queue()
    text = ""
    deadline = time.monotonic() + timeout
    while marker not in text:
        threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"no {marker!r} in output: {text!r}") from None
        assert line, f"the sandbox exited early ({proc.poll()}): {text!r}"
        text += line
    return text


def test_sandbox_command_serves_until_interrupted(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kmsg_authoring",
            "sandbox",
            "--port",
            "0",
            "--db",
            "state.sqlite",
            "--partner-id",
            "4242",
            "--latency-ms",
            "1",
            "--seed",
            "3",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = _read_until(proc, "Press Ctrl-C to stop.")
        url = re.search(r'url = "(http://127\.0\.0\.1:\d+/api/v1)"', banner)
        ks = re.search(r"export KALTURA_KS=(\S+)", banner)
        assert url and ks, banner
        assert f"Messaging API at {url.group(1)}" in banner
        assert "/outbox" in banner and "[environments.sandbox]" in banner
        headers = {"Authorization": f"Bearer {ks.group(1)}"}
        added = httpx.post(f"{url.group(1)}/email-template/add", json=template_body(), headers=headers).json()
        assert added["partnerId"] == 4242
        listed = httpx.post(f"{url.group(1)}/email-template/list", json={}, headers=headers).json()
        assert listed["totalCount"] == 1
        assert httpx.post(f"{url.group(1)}/email-template/list", json={}).status_code == 401
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "kmsg-author sandbox: stopped" in out
    assert (tmp_path / "state.sqlite").is_file()
    # One line per request, with method, path and status, and never the KS.
    assert "POST /api/v1/email-template/add -> 200" in err
    assert "POST /api/v1/email-template/list -> 401" in err
    assert ks.group(1) not in err and "Bearer" not in err
    assert "Traceback" not in err


def test_sigterm_stops_cleanly(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmsg_authoring", "sandbox", "--port", "0", "-q"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _read_until(proc, "Press Ctrl-C to stop.")
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "stopped" in out and err == ""
    assert (tmp_path / "sandbox.sqlite").is_file()  # the default database is in the current folder


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--error-rate", "1.5"], "argument --error-rate: must be between 0 and 1"),
        (["--drop-rate", "x"], "argument --drop-rate: not a number"),
        (["--latency-ms", "-5"], "argument --latency-ms: must be 0 or more, not -5"),
        (["--port", "http"], "argument --port: 'http' is not a whole number"),
        (["--port", "70000"], "argument --port: must be from 0 to 65535, not 70000"),
    ],
)
def test_bad_options_are_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", *argv]) == 2
    assert message in capsys.readouterr().err


def test_unusable_database_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--port", "0", "--db", str(tmp_path / "no" / "s.sqlite")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sandbox", "--help"]) == 0
    text = capsys.readouterr().out
    for option in (
        "--port",
        "--host",
        "--db",
        "--error-rate",
        "--drop-rate",
        "--latency-ms",
        "--seed",
        "--no-drop-after-write",
        "/outbox",
    ):
        assert option in text
