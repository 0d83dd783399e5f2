"""Convert MJML's own component definitions into the JSON the MJML checks ship.

    python scripts/mjml_data.py NODE_MODULES [--out kmsg_authoring/compile/data/mjml.json]
    python scripts/mjml_data.py --install DIR      (npm install mjml@5 into DIR first)

NODE_MODULES is a node_modules folder holding the `mjml` package (npm install mjml@5). Node reads
MJML's packages there: every component of `mjml-preset-core` (its tag, `allowedAttributes` with
their types, whether its content is kept as written: `endingTag`), the allowed children of every
tag as `mjml-validator` checks them (`dependencies`, the preset's), and the CSS color names
MJML's color type accepts (`mjml-core`'s types). The output is deterministic (keys sorted), so a
test can compare it with the shipped file. MJML's LICENSE is copied beside it as mjml-LICENSE.md,
with the versions the data was read from in mjml.json itself.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "kmsg_authoring" / "compile" / "data" / "mjml.json"
PACKAGE = "mjml@5.4.1"  # the version the shipped data is read from: change it to update the data

# Runs with NODE_PATH set to the node_modules folder; prints the data as JSON on stdout.
DUMP = r"""
const preset = require('mjml-preset-core');
const colors = require('mjml-core/lib/types/helpers/colors').default
  || require('mjml-core/lib/types/helpers/colors');
const version = (name) => require(name + '/package.json').version;
const components = {};
for (const c of preset.components) {
  components[c.componentName] = {
    attributes: c.allowedAttributes || {},
    ending: Boolean(c.endingTag),
  };
}
const children = {};
for (const [tag, list] of Object.entries(preset.dependencies)) {
  children[tag] = list.map((d) => (d instanceof RegExp ? { regexp: d.source } : d));
}
const names = ['mjml', 'mjml-core', 'mjml-validator', 'mjml-preset-core'];
process.stdout.write(JSON.stringify({
  versions: Object.fromEntries(names.map((n) => [n, version(n)])),
  components, children, colors,
}));
"""


def read(node_modules: Path) -> dict[str, Any]:
    """MJML's data, read by Node from the packages in node_modules."""
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed (Debian: apt-get install nodejs)")
    if not (node_modules / "mjml" / "package.json").is_file():
        raise SystemExit(f"{node_modules}: no mjml package here (npm install {PACKAGE})")
    done = subprocess.run(
        [node, "-e", DUMP],
        capture_output=True,
        text=True,
        check=False,
        cwd=node_modules.parent,
        env={"NODE_PATH": str(node_modules), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    if done.returncode != 0:
        raise SystemExit(f"node could not read MJML's packages:\n{done.stderr}")
    raw = json.loads(done.stdout)
    return convert(raw)


def convert(raw: dict[str, Any]) -> dict[str, Any]:
    """The shipped shape: components by tag (attributes sorted), children by tag, colors, versions."""
    components = {
        tag: {"attributes": dict(sorted(c["attributes"].items())), "ending": c["ending"]}
        for tag, c in sorted(raw["components"].items())
    }
    children = {tag: sorted(kids, key=lambda k: json.dumps(k)) for tag, kids in sorted(raw["children"].items())}
    return {
        "source": "MJML's component definitions (allowedAttributes, endingTag), mjml-validator's dependencies "
        "and mjml-core's color names, converted by scripts/mjml_data.py",
        "license": "MIT, see mjml-LICENSE.md",
        "versions": dict(sorted(raw["versions"].items())),
        "components": components,
        "children": children,
        "colors": sorted(raw["colors"]),
    }


def dumps(data: dict[str, Any]) -> str:
    """The file's text: the same data always gives the same bytes."""
    return json.dumps(data, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def install(folder: Path) -> Path:
    """npm install mjml@5 into folder; its node_modules."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is not installed (Debian: apt-get install npm)")
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(folder), PACKAGE],
        check=True,
        timeout=600,
    )
    return folder / "node_modules"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("node_modules", nargs="?", type=Path, help="a node_modules folder holding mjml")
    parser.add_argument("--install", type=Path, metavar="DIR", help=f"npm install {PACKAGE} into DIR first")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the JSON file to write")
    args = parser.parse_args(argv)
    if args.install is not None:
        node_modules = install(args.install)
    elif args.node_modules is not None:
        node_modules = args.node_modules
    else:
        parser.error("give NODE_MODULES or --install DIR")
    data = read(node_modules.resolve())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(data), encoding="utf-8")
    license_file = next((p for p in (node_modules / "mjml").glob("LICENSE*")), None)
    if license_file is None:
        raise SystemExit("the mjml package has no LICENSE file")
    shutil.copyfile(license_file, args.out.parent / "mjml-LICENSE.md")
    print(f"wrote {args.out} ({len(data['components'])} components, MJML {data['versions']['mjml']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
