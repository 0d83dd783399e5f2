"""Issue 9, item 2: two real `kmsg-author publish` processes at once against the sandbox, with latency."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from kmsg_authoring.api import MessagingClient
from kmsg_authoring.model import TemplateStatus
from kmsg_authoring.sandbox import Faults, make_ks, start_sandbox
from tests.api.stub_server import write_project

NAMES = [f"Concurrent {i:02d}" for i in range(30)]
GUID = "race-app"


def kmsg_author() -> list[str]:
    """The installed console script, as CI runs it."""
    script = Path(sys.executable).with_name("kmsg-author")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "kmsg_authoring"]


def test_two_publishes_at_once_leave_exactly_one_copy_of_each_template(tmp_path: Path) -> None:
    ks = make_ks(31)
    # 80 ms per request: the two runs' adds overlap (both add every name), as two CI runs on two merges do.
    with start_sandbox(tmp_path / "sandbox.sqlite", faults=Faults(latency_ms=80)) as sb:
        # Two checkouts of one project, as two CI runners have.
        roots = [write_project(tmp_path / f"checkout{i}", sb.url, NAMES, guid=GUID) for i in (1, 2)]
        env = {**os.environ, "STUB_KS": ks, "NO_COLOR": "1"}
        procs = [
            subprocess.Popen(
                [*kmsg_author(), "-C", str(root), "publish", "--env", "stub", "--format", "json"],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for root in roots
        ]
        results = [p.communicate(timeout=300) for p in procs]
        adds = Counter(sb.request_log.snapshot())["email-template/add"]
        sb.faults.latency_ms = 0
        with MessagingClient(sb.url, ks) as client:
            live = [t for t in client.list_templates(appGuidIn=[GUID]) if t.get("status") != TemplateStatus.DELETED]
        again = subprocess.run(
            [*kmsg_author(), "-C", str(roots[0]), "publish", "--env", "stub"],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
        )
    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, out + err
        assert ks not in out + err
    assert sorted(t["name"] for t in live) == NAMES, f"{adds} adds served"  # exactly one copy each
    summaries = [json.loads(out)["summary"] for out, _ in results]
    for s in summaries:
        assert s["added"] + s["addedElsewhere"] + s["unchanged"] == len(NAMES)
        assert s["failed"] == 0
    # Every survivor is credited to the run that created it, once.
    assert sum(s["added"] for s in summaries) == len(NAMES)
    assert again.returncode == 0 and "nothing to publish" in again.stdout, again.stdout + again.stderr
