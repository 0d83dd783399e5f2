"""kmsg-author beside juice 12 and premailer on the same files: the 64 emails of ../shared/corpus.

Each tool runs as one process over every file, as its users run it:
- kmsg-author: `kmsg-author build --no-cache` on the corpus project (each file one template, Jinja
  off, two tokens each): compile, CSS inlining, every default lint rule, three output files each.
- juice 12: one Node process inlining each file with `juice(html)` and writing the result.
- premailer: one Python process inlining each file with `premailer.transform(html)` (no network:
  remote stylesheets are left alone, as kmsg-author leaves them) and writing it.
juice and premailer read the project's template bodies (the corpus files with the two tokens).
Runs alternate between the tools; the figures are medians. Wall time on a shared machine swings
with the neighbours' load: CPU time (user + system) is printed beside it.

juice is looked for in --juice (a folder holding node_modules/juice; install it outside the
repository: `npm install --prefix /tmp/juice juice@12`), else in $KMSG_BENCH_JUICE; without Node or
juice that column is skipped.

    python bench/compare.py [--runs 7] [--juice /tmp/juice]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, Run, compile_bytecode, corpus_project, kmsg, machine, med, run

JUICE_SCRIPT = """\
const fs = require("fs");
const path = require("path");
const loaded = require(process.argv[2]);
const juice = loaded.default || loaded;  // juice 12 is built as an ES module
const [src, out] = [process.argv[3], process.argv[4]];
for (const name of fs.readdirSync(src).sort()) {
  const html = fs.readFileSync(path.join(src, name, "body.html"), "utf8");
  fs.writeFileSync(path.join(out, name + ".html"), juice(html));
}
"""

PREMAILER_SCRIPT = """\
import os, sys, warnings, logging
warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)
import premailer
src, out = sys.argv[1], sys.argv[2]
for name in sorted(os.listdir(src)):
    with open(os.path.join(src, name, "body.html"), encoding="utf-8") as fh:
        html = fh.read()
    result = premailer.transform(
        html, disable_validation=True, allow_network=False, cssutils_logging_level=logging.CRITICAL
    )
    with open(os.path.join(out, name + ".html"), "w", encoding="utf-8") as fh:
        fh.write(result)
"""


def find_juice(hint: str | None) -> Path | None:
    """The juice package folder, when Node and juice are installed."""
    if shutil.which("node") is None:
        return None
    for base in (hint, os.environ.get("KMSG_BENCH_JUICE")):
        if base and (Path(base) / "node_modules" / "juice" / "package.json").is_file():
            return Path(base) / "node_modules" / "juice"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--juice", help="a folder holding node_modules/juice (juice 12)")
    args = parser.parse_args()
    print(machine())
    print(f"checkout: {REPO}")
    compile_bytecode()
    juice = find_juice(args.juice)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        root = base / "corpus"
        n = len(corpus_project(root))
        src = root / "templates_src"
        (base / "juice.js").write_text(JUICE_SCRIPT, encoding="utf-8")
        (base / "premailer_run.py").write_text(PREMAILER_SCRIPT, encoding="utf-8")
        tools: dict[str, list[str]] = {"kmsg-author": kmsg("build", "--no-cache", "-q")}
        if juice is not None:
            import json

            version = json.loads((juice / "package.json").read_text())["version"]
            tools[f"juice {version}"] = ["node", str(base / "juice.js"), str(juice), str(src), str(base / "out")]
        else:
            print("juice: skipped (no Node, or no juice in --juice / $KMSG_BENCH_JUICE)")
        import premailer

        tools[f"premailer {getattr(premailer, '__version__', '?')}"] = [
            sys.executable,
            str(base / "premailer_run.py"),
            str(src),
            str(base / "out"),
        ]
        results: dict[str, list[Run]] = {name: [] for name in tools}
        for _ in range(args.runs):
            for name, cmd in tools.items():  # alternated: each round runs every tool once
                shutil.rmtree(base / "out", ignore_errors=True)
                (base / "out").mkdir()
                shutil.rmtree(root / "build", ignore_errors=True)
                r = run(cmd, root if name == "kmsg-author" else base)
                if r.code != 0 and name != "kmsg-author":
                    raise SystemExit(f"{name} failed: {r.out[-2000:]}")
                results[name].append(r)
        print(f"\n{n} files, {args.runs} alternated runs, medians (one process per tool per run)")
        ours = results["kmsg-author"]
        kw, kc = med([r.wall for r in ours]), med([r.cpu for r in ours])
        for name, rs in results.items():
            w, c = med([r.wall for r in rs]), med([r.cpu for r in rs])
            line = f"   {name:<16} {w:6.2f} s wall {c:6.2f} s CPU"
            if name != "kmsg-author":
                line += f"   kmsg-author is {w / kw:.1f}x faster (wall), {c / kc:.1f}x (CPU)"
            print(line)
        print("targets: at least 4x faster than juice and 10x faster than premailer")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
