"""Benchmark `kmsg-author snapshot` on the example templates (600 and 375 px, light and dark).

Prints, per engine:
  - cold: `kmsg-author snapshot --no-cache` as a new process, browser start-up included (target < 5 s
    for the examples in Chromium on 2 cores);
  - warm: the same images again with the browser already running (in process);
  - per additional image: (warm time for every image - warm time for one image) / (images - 1);
  - unchanged: a run where every email's HTML is as recorded (nothing is rendered).

    python bench/snapshot.py [--engine chromium] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kmsg_authoring.review.engines import Engines
from kmsg_authoring.review.snapshot import take_snapshots
from kmsg_authoring.source.config import load_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", default="chromium", help="chromium, webkit or firefox")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    exe = shutil.which("kmsg-author") or f"{sys.executable} -m kmsg_authoring"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load {os.getloadavg()[0]:.1f}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        shutil.copytree(REPO / "templates_src", root / "templates_src")
        shutil.copy(REPO / "kmsg.toml", root / "kmsg.toml")
        config = load_config(root)
        # Compile once so the build cache is warm: the figures are about the browser.
        take_snapshots(
            config,
            out_dir=Path(tmp) / "warmup",
            engine_names=[args.engine],
            widths=[600],
            schemes=["light"],
            slugs=["reminder"],
        )

        cold = []
        for i in range(args.repeat):
            out = Path(tmp) / f"cold{i}"
            start = time.perf_counter()
            subprocess.run(
                [*exe.split(), "-C", str(root), "snapshot", "--out", str(out), "--no-cache", "--engine", args.engine],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            cold.append(time.perf_counter() - start)
        images = len(list((Path(tmp) / "cold0").rglob("*.png")))

        with Engines([args.engine]) as engines:
            take_snapshots(
                config,
                out_dir=Path(tmp) / "start",
                engines=engines,
                slugs=["reminder"],
                widths=[600],
                schemes=["light"],
            )
            warm, one = [], []
            for i in range(args.repeat):
                start = time.perf_counter()
                take_snapshots(config, out_dir=Path(tmp) / f"warm{i}", engines=engines, use_cache=False)
                warm.append(time.perf_counter() - start)
                start = time.perf_counter()
                take_snapshots(
                    config,
                    out_dir=Path(tmp) / f"one{i}",
                    engines=engines,
                    use_cache=False,
                    slugs=["reminder"],
                    widths=[600],
                    schemes=["light"],
                )
                one.append(time.perf_counter() - start)
            start = time.perf_counter()
            take_snapshots(config, out_dir=Path(tmp) / "warm0", engines=engines)
            unchanged = time.perf_counter() - start

    med = statistics.median
    print(f"engine {args.engine}: {images} images (4 templates, 5 recipients x 2 widths x 2 schemes)")
    print(
        f"cold, new process with browser start-up: median {med(cold):.2f} s (min {min(cold):.2f}, "
        f"max {max(cold):.2f}); target < 5 s"
    )
    print(f"warm browser, every image: median {med(warm):.2f} s; one image: median {med(one):.3f} s")
    print(f"per additional image (warm): {(med(warm) - med(one)) / (images - 1) * 1000:.0f} ms")
    print(f"nothing changed (manifest hit, no browser): {unchanged * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
