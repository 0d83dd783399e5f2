"""Publish 200 templates to a local sandbox, then re-run with nothing changed.

Prints the requests each run sent, by endpoint, and its wall time. The no-op run should send only
list requests; its target is under 2 s wall (build from cache, one paged list, no writes).

    python bench/publish.py [--templates 200] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kmsg_authoring.cli import main
from kmsg_authoring.sandbox import make_ks, start_sandbox

GUID = "bench-app"
BODY = """\
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>p {{ color: #333333; font-family: Arial, sans-serif; }} .cta {{ background: #1a237e; color: #ffffff; }}</style>
</head>
<body>
<p>Hi {{recipient.firstName}},</p>
<p>This is message number {i} about {{eventName}}.</p>
<p><a class="cta" href="https://events.example.com/e/{i}">Open the event</a></p>
</body></html>
"""


def write_project(root: Path, count: int, url: str) -> None:
    (root / "kmsg.toml").write_text(
        f'[environments.bench]\nurl = "{url}"\napp_guid = "{GUID}"\nks_env = "BENCH_KS"\n', encoding="utf-8"
    )
    for i in range(count):
        folder = root / "templates_src" / f"t{i:03d}"
        folder.mkdir(parents=True)
        (folder / "template.yaml").write_text(
            f"name: Bench {i:03d}\nsubject: Number {i} for {{recipient.firstName}}\n"
            'toAttributePath: "{recipient.email}"\nmsgParamsMap:\n'
            "  recipient: {type: User}\n  eventName: {type: String}\n",
            encoding="utf-8",
        )
        (folder / "body.html").write_text(BODY.format(i=i, title=f"Bench {i}"), encoding="utf-8")


def timed_run(argv: list[str]) -> tuple[int, float, str]:
    """Run kmsg-author in this process; exit code, wall seconds, output (stdout, then the verbose log)."""
    out, log = io.StringIO(), io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(log):
        code = main(argv)
    return code, time.perf_counter() - started, out.getvalue() + log.getvalue()


def report(label: str, seconds: float, requests: list[str], output: str = "") -> None:
    """One line: wall time and the requests the sandbox served; then what the client counted itself."""
    counts = Counter(requests)
    shown = ", ".join(f"{endpoint} {n}" for endpoint, n in sorted(counts.items())) or "none"
    print(f"{label:<34} {seconds:6.2f} s   served: {shown}")
    counted = [line for line in output.splitlines() if line.startswith("requests: ")]
    if counted:
        print(f"{'':<34} {'':>8}   client {counted[-1]}")


def run(count: int, concurrency: int) -> int:
    with tempfile.TemporaryDirectory(prefix="kmsg-bench-") as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        with start_sandbox(Path(tmp) / "sandbox.sqlite") as sb:
            write_project(root, count, sb.url)
            os.environ["BENCH_KS"] = make_ks(777)
            base = ["-C", str(root), "publish", "--env", "bench", "--concurrency", str(concurrency), "--verbose"]

            sb.request_log.clear()
            code, seconds, out = timed_run(base)
            report(f"first publish ({count} templates)", seconds, list(sb.request_log), out)
            if code != 0:
                print(out)
                return 1

            sb.request_log.clear()
            code, seconds, out = timed_run(base)
            noop = list(sb.request_log)
            report("no-op re-run (in process)", seconds, noop, out)
            only_lists = bool(noop) and all(r.endswith("/list") for r in noop)
            print(f"  'nothing to publish' printed: {'nothing to publish' in out}; only list requests: {only_lists}")

            sb.request_log.clear()
            started = time.perf_counter()
            proc = subprocess.run(
                [sys.executable, "-m", "kmsg_authoring", *base],
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)},
                check=False,
            )
            report("no-op re-run (new process)", time.perf_counter() - started, list(sb.request_log), proc.stderr)
            if proc.returncode != 0:
                print(proc.stdout, proc.stderr)
                return 1

            body = root / "templates_src" / "t000" / "body.html"
            body.write_text(body.read_text(encoding="utf-8").replace("Open the event", "Join now"), encoding="utf-8")
            sb.request_log.clear()
            code, seconds, out = timed_run(base)
            report("one body edited", seconds, list(sb.request_log), out)
    print("target: the no-op re-run under 2 s wall, list requests only")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=4)
    options = parser.parse_args()
    raise SystemExit(run(options.templates, options.concurrency))
