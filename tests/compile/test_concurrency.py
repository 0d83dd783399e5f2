"""One project, many processes: a designer's `preview --watch`, the pre-commit hook's `lint` and CI's
`build` share templates_src/ and build/ (and its cache) while files keep changing."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

COMMAND = [sys.executable, "-m", "kmsg_authoring"]


def save(path: Path, text: str) -> None:
    """Save as editors do: a temporary file renamed over the old one, so no reader sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".edit-")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def outputs(build: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in build.iterdir() if p.suffix in (".json", ".html")}


def wait_for(url: str, text: str, timeout: float = 60.0) -> str:
    """The page at url once it contains text (or its last answer when the wait runs out)."""
    deadline = time.monotonic() + timeout
    page = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                page = response.read().decode("utf-8")
        except OSError:
            page = ""
        if text in page:
            break
        time.sleep(0.2)
    return page


def test_preview_lint_and_build_at_once_while_files_change(example_project: Path, tmp_path: Path) -> None:
    root = example_project
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    body = root / "templates_src/reminder/body.html"
    partial = root / "templates_src/_partials/button.html"
    body_text, partial_text = body.read_text(encoding="utf-8"), partial.read_text(encoding="utf-8")
    assert "quick reminder" in body_text and 'class="button"' in partial_text
    preview = subprocess.Popen(
        [*COMMAND, "-C", str(root), "preview", "--watch", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    stop = threading.Event()

    def designer() -> None:
        i = 0
        while not stop.is_set():
            save(body, body_text.replace("quick reminder", f"reminder number {i}"))
            save(partial, partial_text.replace('class="button"', f'class="button b{i % 3}"'))
            i += 1
            time.sleep(0.03)

    editing = threading.Thread(target=designer)
    results: list[tuple[str, int, str]] = []
    try:
        assert preview.stdout is not None
        # The watch terminal prints its first rebuild line, then where it serves.
        line = preview.stdout.readline()
        while line and not line.startswith("Previewing "):
            line = preview.stdout.readline()
        url = line.split(" at ", 1)[1].split()[0]
        editing.start()
        for _ in range(3):
            batch = [
                (
                    cmd,
                    subprocess.Popen(
                        [*COMMAND, "-C", str(root), *cmd.split()],
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        text=True,
                        env=env,
                    ),
                )
                for cmd in ("build", "build", "lint", "build -q", "lint")
            ]
            for cmd, proc in batch:
                out, err = proc.communicate(timeout=300)
                results.append((cmd, proc.returncode, out + err))
        stop.set()
        editing.join(timeout=30)
        save(body, body_text.replace("quick reminder", "final reminder"))
        save(partial, partial_text)

        for cmd, code, text in results:
            assert code == 0 and "Traceback" not in text and "locked" not in text, (cmd, text)
        # The shared build/ ends consistent: what a build from scratch of the final sources gives.
        final = subprocess.run(
            [*COMMAND, "-C", str(root), "build"], capture_output=True, text=True, env=env, timeout=300, check=False
        )
        assert final.returncode == 0, final.stderr
        assert (
            subprocess.run(
                [*COMMAND, "-C", str(root), "lint"], capture_output=True, timeout=300, env=env, check=False
            ).returncode
            == 0
        )
        fresh = tmp_path / "fresh"
        shutil.copytree(root / "templates_src", fresh / "templates_src")
        shutil.copy(root / "kmsg.toml", fresh / "kmsg.toml")
        clean = subprocess.run(
            [*COMMAND, "-C", str(fresh), "build", "--no-cache"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
        assert clean.returncode == 0, clean.stderr
        assert outputs(root / "build") == outputs(fresh / "build")
        assert "final reminder" in (root / "build/reminder.html").read_text(encoding="utf-8")
        # The preview caught up with the last save too.
        assert "final reminder" in wait_for(f"{url}t/reminder/payload.json", "final reminder")
    finally:
        stop.set()
        if editing.is_alive():
            editing.join(timeout=30)
        if preview.poll() is None:
            preview.send_signal(signal.SIGINT)
        try:
            _, preview_err = preview.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            preview.kill()
            _, preview_err = preview.communicate()
    assert "Traceback" not in preview_err, preview_err
