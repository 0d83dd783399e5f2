"""`kmsg-author preview` as users run it: one-shot files, and the live server from the command line."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path
from typing import IO

import pytest

from kmsg_authoring.cli import main


def test_one_shot_writes_one_file_per_recipient_and_an_index(
    example_project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "artifacts"
    assert main(["-C", str(example_project), "preview", "event-invitation", "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01-jane@example.com.html", "02-li@example.com.html", "index.html"]
    jane = (out / "01-jane@example.com.html").read_text(encoding="utf-8")
    li = (out / "02-li@example.com.html").read_text(encoding="utf-8")
    assert "invited, Jane!" in jane and "invited, 李!" in li
    assert "{recipient." not in jane + li and "kmsg-preview-not-a-login" in jane
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="01-jane%40example.com.html"' in index
    assert "You&#x27;re invited to Annual Conference 2026" in index
    assert "Acme Events &lt;events@events.example.com&gt;" in index and "<td>li@example.com</td>" in index
    assert "wrote 2 preview(s) of event-invitation (sample default)" in capsys.readouterr().out


def test_one_shot_defaults_to_preview_out_and_reports_unresolved_tokens(
    example_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = example_project / "templates_src/follow-up/samples/default.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace("lastName: Doe, ", ""), encoding="utf-8")
    body = example_project / "templates_src/follow-up/body.html"
    body.write_text(
        body.read_text(encoding="utf-8").replace(
            "{% block content %}", "{% block content %}<p>{recipient.lastName}</p>"
        ),
        encoding="utf-8",
    )
    assert main(["-C", str(example_project), "preview", "follow-up"]) == 1
    err = capsys.readouterr().err
    lines = body.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "{recipient.lastName}" in text)
    col = lines[line - 1].index("{recipient.lastName}") + 1
    assert f"templates_src/follow-up/body.html:{line}:{col}: unresolved {{recipient.lastName}}" in err
    assert (
        "unresolved {recipient.lastName} for jane@example.com: is empty: user 'jane@example.com' has no lastName" in err
    )
    assert (example_project / "preview-out/follow-up/01-jane@example.com.html").is_file()
    assert (example_project / "preview-out/follow-up/index.html").is_file()


def test_one_shot_errors_are_clear(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-C", str(example_project), "preview"]) == 2
    assert "name a template" in capsys.readouterr().err
    assert main(["-C", str(example_project), "preview", "nope"]) == 2
    assert "no template 'nope'" in capsys.readouterr().err
    assert main(["-C", str(example_project), "preview", "reminder", "--sample", "other"]) == 2
    assert "no sample 'other'" in capsys.readouterr().err
    sample = example_project / "templates_src/reminder/samples/default.yaml"
    sample.write_text(sample.read_text(encoding="utf-8").replace("in one hour", "[1, 2"), encoding="utf-8")
    assert main(["-C", str(example_project), "preview", "reminder"]) == 1
    assert "templates_src/reminder/samples/default.yaml:" in capsys.readouterr().err
    assert main(["-C", str(example_project), "preview", "--watch", "--sample", "x"]) == 2
    assert main(["-C", str(example_project), "preview", "--watch", "--port", "70000"]) == 2
    assert "argument --port: must be from 0 to 65535, not 70000" in capsys.readouterr().err


def _lines(stream: IO[str]) -> queue.Queue[str | None]:
    """The lines of a stream as they come, read by a thread (None at the end), so each wait has a timeout."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    return lines


# Generous: on a loaded 2-core machine the first build, a rebuild or the shutdown (which lets the
# snapshot being taken finish) can take a while; each wait ends as soon as its condition holds.
PATIENCE = 180.0


def test_watch_serves_until_interrupted(example_project: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "kmsg_authoring", "-C", str(example_project), "preview", "--watch", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stderr is not None
        lines = _lines(proc.stdout)
        errors = _lines(proc.stderr)

        def next_line() -> str:
            line = lines.get(timeout=PATIENCE)
            assert line is not None, f"the preview ended early (exit {proc.poll()})"
            return line

        first = next_line()
        assert re.fullmatch(r"\d\d:\d\d:\d\d rebuilt 4 templates in \d+\.\d\ds: no errors\n", first), first
        line = next_line()
        assert line.startswith("Previewing 4 template(s) at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split()[0]
        with urllib.request.urlopen(url, timeout=PATIENCE) as response:
            assert response.status == 200
            assert b"event-invitation" in response.read()
        # A save prints one line for the rebuild, then each error with its location.
        body = example_project / "templates_src/reminder/body.html"
        body.write_text(
            body.read_text(encoding="utf-8").replace("</p>", "{{recipient.lastName}}</p>", 1), encoding="utf-8"
        )
        # A loaded machine may see the save as two events (the file emptied, then written): the
        # rebuild of the half-written file comes first, and is followed by the one of the save.
        rebuilt = next_line()
        while re.fullmatch(r"\d\d:\d\d:\d\d rebuilt reminder in \d+\.\d\ds: (no errors|1 error)\n", rebuilt):
            if rebuilt.endswith(": 1 error\n"):
                error = next_line()
                if "KM001 'recipient' is undefined" in error:
                    break
            rebuilt = next_line()
        assert re.fullmatch(r"\d\d:\d\d:\d\d rebuilt reminder in \d+\.\d\ds: 1 error\n", rebuilt), rebuilt
        assert re.fullmatch(
            r"  templates_src/reminder/body\.html:\d+:\d+: KM001 'recipient' is undefined .*\n", error
        ), error
        proc.send_signal(signal.SIGINT)
        # Waits for the process itself to end, not just for its last line.
        assert proc.wait(timeout=PATIENCE) == 0
        rest: list[str] = []
        while (more := lines.get(timeout=PATIENCE)) is not None:
            rest.append(more)
        err: list[str] = []
        while (more := errors.get(timeout=PATIENCE)) is not None:
            err.append(more)
        assert "stopped\n" in rest and "Traceback" not in "".join(err), (rest, err)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_watch_on_a_busy_port_is_a_usage_error(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["-C", str(example_project), "preview", "--watch", "--port", str(port)]) == 2
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


def test_help_describes_the_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["preview", "--help"]) == 0
    text = capsys.readouterr().out
    assert "--watch" in text and "--sample" in text and "127.0.0.1" in text


def test_preview_all_exports_every_template(example_project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`preview --all`: preview-out/<slug>/ for each template and an index linking them."""
    assert main(["-C", str(example_project), "preview", "--all"]) == 0
    out = capsys.readouterr().out
    assert "of 4 template(s) and preview-out/index.html" in out
    index = (example_project / "preview-out/index.html").read_text(encoding="utf-8")
    for slug in ("attendance-confirmation", "event-invitation", "follow-up", "reminder"):
        assert (example_project / "preview-out" / slug / "index.html").is_file()
        assert f'href="{slug}/index.html"' in index
    assert main(["-C", str(example_project), "preview", "--all", "reminder"]) == 2
    assert main(["-C", str(example_project), "preview", "--all", "--watch"]) == 2
