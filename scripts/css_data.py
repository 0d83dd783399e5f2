"""Convert MDN's CSS data (the npm package mdn-data, with css-tree's patch and unit table) into the
compact JSON the CSS checker ships.

    python scripts/css_data.py [--mdn-data DIR] [--css-tree DIR] [--out kmsg_authoring/lint/data/css.json]

DIR is an unpacked npm package (the `package/` folder of `npm pack mdn-data@VERSION`). Without
them, the pinned versions below are fetched with `npm pack` into a temporary folder (development
time only: the package ships the result, and nothing is downloaded at build, lint or test time).

mdn-data is MDN's own data: every CSS property with its value syntax (the CSS value definition
syntax of the specifications), the named types those syntaxes use, at-rules and functions.
css-tree, the CSS parser and validator built on mdn-data, adds two things mdn-data lacks: its
patch (the syntaxes of the prefixed and legacy properties real stylesheets use, such as
-webkit-font-smoothing and -ms-interpolation-mode, merged exactly as css-tree merges it) and the
table of units by dimension (length, angle, time...). mdn-data's version is the one css-tree
declares as its dependency, so that the patch applies to the data it was written against.

The output holds the property syntaxes, the type syntaxes, at-rule names, function names and
units by dimension; both licenses (mdn-data: CC0-1.0, css-tree: MIT) are copied beside it.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_OUT = REPO / "kmsg_authoring" / "lint" / "data" / "css.json"
CSS_TREE_VERSION = "3.2.1"
_EXTEND = re.compile(r"^\s*\|\s*")
_UNITS = re.compile(r"export const (\w+) = \[(.*?)\];", re.DOTALL)
_QUOTED = re.compile(r"'([^']*)'")


def _npm_pack(spec: str, dest: Path) -> Path:
    """An npm package unpacked into dest (npm pack: the registry's tarball, no install scripts)."""
    out = (
        subprocess.run(
            ["npm", "pack", spec, "--silent", "--pack-destination", str(dest)],
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    folder = dest / spec.replace("/", "_")
    with tarfile.open(dest / out) as tar:
        tar.extractall(folder, filter="data")
    return folder / "package"


def _patch(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, str]:
    """css-tree's patchDictionary (lib/data.js): syntaxes of base with patch's applied."""
    out = {k: (v.get("syntax") if isinstance(v, dict) else v) for k, v in base.items() if v}
    out = {k: v for k, v in out.items() if v}
    for key, value in patch.items():
        syntax = value.get("syntax") if isinstance(value, dict) else None
        if key in base:
            if syntax:
                out[key] = f"{out.get(key, '')} {syntax.strip()}" if _EXTEND.match(syntax) else syntax
            else:
                out.pop(key, None)
        elif syntax:
            out[key] = _EXTEND.sub("", syntax)
    return dict(sorted(out.items()))


def convert(mdn: Path, css_tree: Path) -> dict[str, Any]:
    """The checker's data from the two unpacked packages."""
    css = mdn / "css"
    properties = json.loads((css / "properties.json").read_text(encoding="utf-8"))
    syntaxes = json.loads((css / "syntaxes.json").read_text(encoding="utf-8"))
    at_rules = json.loads((css / "at-rules.json").read_text(encoding="utf-8"))
    functions = json.loads((css / "functions.json").read_text(encoding="utf-8"))
    patch = json.loads((css_tree / "data" / "patch.json").read_text(encoding="utf-8"))
    units_js = (css_tree / "lib" / "lexer" / "units.js").read_text(encoding="utf-8")
    units = {m.group(1): _QUOTED.findall(re.sub(r"//[^\n]*", "", m.group(2))) for m in _UNITS.finditer(units_js)}
    if "length" not in units:
        raise SystemExit(f"no unit table in {css_tree}/lib/lexer/units.js")
    names = {n.lstrip("@") for n in at_rules} | {n for n, v in patch.get("atrules", {}).items() if v is not None}
    return {
        "source": {
            "mdn-data": json.loads((mdn / "package.json").read_text(encoding="utf-8"))["version"],
            "css-tree": json.loads((css_tree / "package.json").read_text(encoding="utf-8"))["version"],
        },
        "properties": _patch(properties, patch.get("properties", {})),
        "types": _patch(syntaxes, patch.get("types", {})),
        "at_rules": sorted(names),
        "functions": sorted({n.removesuffix("()") for n in functions}),
        # In css-tree's order (absolute lengths, font-relative, viewport...): a mistyped unit is matched in it.
        "units": {kind: [u.lower() for u in found] for kind, found in sorted(units.items())},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mdn-data", type=Path, help="an unpacked mdn-data package (default: npm pack)")
    parser.add_argument("--css-tree", type=Path, help="an unpacked css-tree package (default: npm pack)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        css_tree = args.css_tree or _npm_pack(f"css-tree@{CSS_TREE_VERSION}", Path(tmp))
        if args.mdn_data is None:
            wanted = json.loads((css_tree / "package.json").read_text(encoding="utf-8"))["dependencies"]["mdn-data"]
            args.mdn_data = _npm_pack(f"mdn-data@{wanted}", Path(tmp))
        data = convert(args.mdn_data, css_tree)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(data, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        licenses = (
            ("mdn-data", args.mdn_data / "LICENSE", "MDN's CSS data, https://github.com/mdn/data"),
            (
                "css-tree",
                css_tree / "LICENSE",
                "css-tree's data patch and unit table, https://github.com/csstree/csstree",
            ),
        )
        for name, source, what in licenses:
            text = source.read_text(encoding="utf-8")
            (args.out.parent / f"{name}-LICENSE").write_text(
                f"{what}, converted by scripts/css_data.py into css.json.\n\n{text}", encoding="utf-8"
            )
    print(f"wrote {args.out} ({len(data['properties'])} properties, {len(data['types'])} types)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
