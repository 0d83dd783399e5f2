"""Benchmark the live preview: from a saved file to the reload reaching a connected page.

Serves a copy of the example project with `preview --watch`'s machinery (real watchdog watcher,
debouncer, rebuild, HTTP on 127.0.0.1). For each edit a client long-polls /livereload over real
HTTP exactly as an open page does; the clock starts just before the body.html write and stops when
the client has read the answer. Prints the median (target < 300 ms), p90, min and max, plus how
long the rebuild of the one affected template took.

    python bench/preview.py [--edits 20] [--template event-invitation]
"""

from __future__ import annotations

import argparse
import http.client
import platform
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.source.config import load_config
from kmsg_authoring.preview.server import LivePreview
from kmsg_authoring.preview.site import PreviewSite, default_builder


class Client:
    """A page waiting for its template's next build, over a real HTTP connection."""

    def __init__(self, port: int, slug: str, since: int) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", f"/livereload?since={since}&slug={slug}")
        self.received = 0.0
        self.epoch = since
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        response = self.conn.getresponse()
        text = response.read().decode()
        self.received = time.perf_counter()
        self.epoch = int(text)
        self.conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=20)
    parser.add_argument("--template", default="event-invitation")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "templates_src", root / "templates_src")
        shutil.copy(REPO / "kmsg.toml", root / "kmsg.toml")
        build_times: list[float] = []

        def timed_builder(config, slugs):  # type: ignore[no-untyped-def]
            start = time.perf_counter()
            report = default_builder(config, slugs)
            build_times.append(time.perf_counter() - start)
            return report

        site = PreviewSite(load_config(root), builder=timed_builder)
        live = LivePreview(site, port=0)
        live.start()
        build_times.clear()
        body = root / "templates_src" / args.template / "body.html"
        original = body.read_text(encoding="utf-8")
        latencies: list[float] = []
        try:
            for i in range(args.edits):
                since = site.current(args.template)
                client = Client(live.port, args.template, since)
                time.sleep(0.25)  # the page is connected and waiting; earlier saves have settled
                start = time.perf_counter()
                body.write_text(
                    original.replace("{% block content %}", f"{{% block content %}}<p>edit {i}</p>"), encoding="utf-8"
                )
                client.thread.join(timeout=10)
                if client.epoch == since:
                    print(f"edit {i}: no reload within 10 s", file=sys.stderr)
                    return 1
                latencies.append(client.received - start)
        finally:
            live.stop()

    ms = sorted(x * 1000 for x in latencies)
    p90 = ms[min(len(ms) - 1, round(0.9 * (len(ms) - 1)))]
    print(
        f"preview reload latency, {len(ms)} edits of {args.template}/body.html "
        f"({platform.python_implementation()} {platform.python_version()}, {platform.machine()}):"
    )
    print(
        f"  median {statistics.median(ms):.0f} ms   p90 {p90:.0f} ms   min {ms[0]:.0f} ms   max {ms[-1]:.0f} ms"
        f"   (target: median < 300 ms)"
    )
    if build_times:
        print(
            f"  rebuild of the one affected template: median {statistics.median(build_times) * 1000:.0f} ms "
            f"over {len(build_times)} rebuild(s); debounce quiet period {live.debouncer.quiet * 1000:.0f} ms"
        )
    return 0 if statistics.median(ms) < 300 else 1


if __name__ == "__main__":
    raise SystemExit(main())
