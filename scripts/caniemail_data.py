"""Convert a snapshot of the Can I email data into the compact JSON the linter ships.

    python scripts/caniemail_data.py [SNAPSHOT] [--out kmsg_authoring/lint/data/caniemail.json]

SNAPSHOT defaults to ../shared/caniemail (a checkout of github.com/hteumeuleu/caniemail: _features/,
_clients/, _data/nicenames.yml, LICENSE). Nothing is downloaded. The output holds, per feature, its
category, title, page URL, what in a template it covers (CSS properties, values, functions, units,
at-rules, media features, selectors, HTML elements and attributes, image formats) and, per client
(`family.platform`), the latest support value with its note and the version or date it was tested
at. The snapshot's LICENSE is copied beside the output as caniemail-LICENSE, with an attribution.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SNAPSHOT = REPO.parent / "shared" / "caniemail"
DEFAULT_OUT = REPO / "kmsg_authoring" / "lint" / "data" / "caniemail.json"
SITE = "https://www.caniemail.com/features/"
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)
VALUE = re.compile(r"\A\s*([ynau])\b((?:\s*#\d+)*)\s*\Z")

# What each feature covers, where its name and title do not say it plainly (see _derived for the
# rule applied to the rest). Keys of a match:
#   properties: CSS property names (a trailing * is a prefix); values: {property: [value words]};
#   functions: CSS functions used in a value; units: units after a number; keywords: value words;
#   at_rules: @-rules; media_features: @media features (media: any @media rule);
#   selectors: pseudo-classes/elements (":hover"), combinators (">", "+", "~"), "[attr]", "*";
#   elements: HTML tags, optionally "tag[attr=value]"; attributes: HTML attribute names;
#   hrefs: link prefixes; images: file extensions and data-URI types.
# An empty match means the feature cannot be seen in a template's HTML (AMP, BIMI, comments...).
MATCHES: dict[str, dict[str, Any]] = {
    "amp": {},
    "bimi": {},
    "css-comments": {},
    "html-comments": {},
    "html-body": {},
    "html-doctype": {},
    "css-at-font-face": {"at_rules": ["font-face"]},
    "css-at-import": {"at_rules": ["import"]},
    "css-at-keyframes": {"at_rules": ["keyframes", "-webkit-keyframes"]},
    "css-at-supports": {"at_rules": ["supports"]},
    "css-at-media": {"media": True},
    "css-at-media-device-pixel-ratio": {
        "media_features": [
            "-webkit-device-pixel-ratio",
            "-webkit-min-device-pixel-ratio",
            "-webkit-max-device-pixel-ratio",
            "min-resolution",
            "max-resolution",
            "resolution",
        ]
    },
    "css-at-media-hover": {"media_features": ["hover", "any-hover"]},
    "css-at-media-orientation": {"media_features": ["orientation"]},
    "css-at-media-prefers-color-scheme": {"media_features": ["prefers-color-scheme"]},
    "css-at-media-prefers-reduced-motion": {"media_features": ["prefers-reduced-motion"]},
    "css-animation": {"properties": ["animation", "animation-*"]},
    "css-block-inline-size": {"properties": ["block-size", "inline-size"]},
    "css-inline-size": {"properties": ["inline-size"]},
    "css-border-inline-block-individual": {
        "properties": ["border-inline-start", "border-inline-end", "border-block-start", "border-block-end"]
    },
    "css-border-inline-block-longhand": {
        "properties": [
            "border-inline-width",
            "border-inline-style",
            "border-inline-color",
            "border-block-width",
            "border-block-style",
            "border-block-color",
        ]
    },
    "css-border-inline-block": {"properties": ["border-inline", "border-block"]},
    "css-border-radius-logical": {
        "properties": [
            "border-start-start-radius",
            "border-start-end-radius",
            "border-end-start-radius",
            "border-end-end-radius",
        ]
    },
    "css-border": {
        "properties": [
            "border",
            "border-top",
            "border-right",
            "border-bottom",
            "border-left",
            "border-width",
            "border-style",
            "border-color",
        ]
    },
    "css-color-scheme": {"properties": ["color-scheme"]},
    "css-column-layout-properties": {
        "properties": [
            "column-fill",
            "column-gap",
            "column-rule",
            "column-rule-*",
            "column-span",
            "column-width",
            "columns",
        ]
    },
    "css-conic-gradient": {"functions": ["conic-gradient", "repeating-conic-gradient"]},
    "css-linear-gradient": {"functions": ["linear-gradient", "repeating-linear-gradient"]},
    "css-radial-gradient": {"functions": ["radial-gradient", "repeating-radial-gradient"]},
    "css-display-flex": {"values": {"display": ["flex", "inline-flex"]}},
    "css-display-grid": {"values": {"display": ["grid", "inline-grid"]}},
    "css-display-none": {"values": {"display": ["none"]}},
    "css-flex-direction": {"properties": ["flex-direction"]},
    "css-flex-wrap": {"properties": ["flex-wrap"]},
    "css-font": {"properties": ["font"]},
    "css-function-clamp": {"functions": ["clamp"]},
    "css-function-light-dark": {"functions": ["light-dark"]},
    "css-function-max": {"functions": ["max"]},
    "css-function-min": {"functions": ["min"]},
    "css-gap": {"properties": ["gap", "column-gap", "row-gap"]},
    "css-grid-template": {"properties": ["grid-template", "grid-template-*"]},
    "css-height": {"properties": ["height"]},
    "css-important": {"keywords": ["!important"]},
    "css-inert-attribute": {"attributes": ["inert"]},
    "css-intrinsic-size": {"keywords": ["fit-content", "min-content", "max-content"]},
    "css-left-right-top-bottom": {"properties": ["left", "right", "top", "bottom"]},
    "css-margin-block-start-end": {"properties": ["margin-block-start", "margin-block-end"]},
    "css-margin-inline-block": {"properties": ["margin-inline", "margin-block"]},
    "css-margin-inline-start-end": {"properties": ["margin-inline-start", "margin-inline-end"]},
    "css-margin": {"properties": ["margin", "margin-top", "margin-right", "margin-bottom", "margin-left"]},
    "css-padding-block-start-end": {"properties": ["padding-block-start", "padding-block-end"]},
    "css-padding-inline-block": {"properties": ["padding-inline", "padding-block"]},
    "css-padding-inline-start-end": {"properties": ["padding-inline-start", "padding-inline-end"]},
    "css-padding": {"properties": ["padding", "padding-top", "padding-right", "padding-bottom", "padding-left"]},
    "css-max-height": {"properties": ["max-height"]},
    "css-min-height": {"properties": ["min-height"]},
    "css-min-width": {"properties": ["min-width"]},
    "css-width": {"properties": ["width"]},
    "css-modern-color": {"functions": ["lch", "oklch", "lab", "oklab"]},
    "css-nesting": {"selectors": ["&"]},
    "css-rgb": {"functions": ["rgb"]},
    "css-rgba": {"functions": ["rgba"]},
    "css-scroll-snap": {"properties": ["scroll-snap-*", "scroll-margin*", "scroll-padding*"]},
    "css-selector-adjacent-sibling": {"selectors": ["+"]},
    "css-selector-attribute": {"selectors": ["[attr]"]},
    "css-selector-chaining": {"selectors": ["chaining"]},
    "css-selector-child": {"selectors": [">"]},
    "css-selector-class": {"selectors": [".class"]},
    "css-selector-descendant": {"selectors": ["descendant"]},
    "css-selector-general-sibling": {"selectors": ["~"]},
    "css-selector-grouping": {"selectors": ["grouping"]},
    "css-selector-id": {"selectors": ["#id"]},
    "css-selector-type": {"selectors": ["type"]},
    "css-selector-universal": {"selectors": ["*"]},
    "css-sytem-ui": {"keywords": ["system-ui", "ui-serif", "ui-sans-serif", "ui-rounded", "ui-monospace"]},
    "css-text-decoration": {"properties": ["text-decoration"]},
    "css-transition": {"properties": ["transition", "transition-*"]},
    "css-unit-calc": {"functions": ["calc"]},
    "css-unit-initial": {"keywords": ["initial"]},
    "css-unit-percent": {"units": ["%"]},
    "css-variables": {"functions": ["var"], "properties": ["--*"]},
    "css-pseudo-class-lang": {"selectors": [":lang"]},
    "css-pseudo-element-after": {"selectors": ["::after", ":after"]},
    "css-pseudo-element-before": {"selectors": ["::before", ":before"]},
    "css-pseudo-element-first-letter": {"selectors": ["::first-letter", ":first-letter"]},
    "css-pseudo-element-first-line": {"selectors": ["::first-line", ":first-line"]},
    "html-address": {"elements": ["address"]},
    "html-anchor-links": {"hrefs": ["#"]},
    "html-base": {"elements": ["base"]},
    "html-button-reset": {"elements": ["button[type=reset]"]},
    "html-button-submit": {"elements": ["button[type=submit]"]},
    "html-h1-h6": {"elements": ["h1", "h2", "h3", "h4", "h5", "h6"]},
    "html-image-maps": {"elements": ["map", "area"], "attributes": ["usemap"]},
    "html-input-checkbox": {"elements": ["input[type=checkbox]"]},
    "html-input-hidden": {"elements": ["input[type=hidden]"]},
    "html-input-radio": {"elements": ["input[type=radio]"]},
    "html-input-reset": {"elements": ["input[type=reset]"]},
    "html-input-submit": {"elements": ["input[type=submit]"]},
    "html-input-text": {"elements": ["input[type=text]"]},
    "html-lists": {"elements": ["ul", "ol", "dl"]},
    "html-loading-attribute": {"attributes": ["loading"]},
    "html-mailto-links": {"hrefs": ["mailto:"]},
    "html-meta-color-scheme": {"elements": ["meta[name=color-scheme]", "meta[name=supported-color-schemes]"]},
    "html-semantics": {
        "elements": [
            "article",
            "aside",
            "details",
            "figcaption",
            "figure",
            "footer",
            "header",
            "main",
            "mark",
            "nav",
            "section",
            "summary",
            "time",
        ]
    },
    "html-srcset": {"attributes": ["srcset", "sizes"]},
    "html-svg": {"elements": ["svg"]},
    "image-apng": {"images": ["apng"]},
    "image-avif": {"images": ["avif", "image/avif"]},
    "image-base64": {"images": ["base64"]},
    "image-bmp": {"images": ["bmp", "image/bmp"]},
    "image-gif": {"images": ["gif", "image/gif"]},
    "image-hdr": {"images": ["hdr"]},
    "image-heif": {"images": ["heif", "heic", "image/heif", "image/heic"]},
    "image-ico": {"images": ["ico", "image/x-icon", "image/vnd.microsoft.icon"]},
    "image-jpg": {"images": ["jpg", "jpeg", "image/jpeg"]},
    "image-mp4": {"images": ["mp4"]},
    "image-png": {"images": ["png", "image/png"]},
    "image-svg": {"images": ["svg", "image/svg+xml"]},
    "image-tiff": {"images": ["tif", "tiff", "image/tiff"]},
    "image-webp": {"images": ["webp", "image/webp"]},
}
_ELEMENT_TITLE = re.compile(r"\A<([a-z][a-z0-9]*)>(?: element)?\Z")
_ATTRIBUTE_TITLE = re.compile(r"\A([a-z][a-z-]*) attribute\Z")
_PROPERTY_TITLE = re.compile(r"\A-?[a-z][a-z-]*\Z")


def _derived(slug: str, title: str) -> dict[str, Any]:
    """What a feature covers when its name says it: css-unit-rem, :hover, <video> element, align attribute."""
    if slug.startswith("css-unit-"):
        return {"units": [slug[len("css-unit-") :]]}
    if slug.startswith("css-pseudo-"):
        return {"selectors": [title.strip().removesuffix("()")]}
    if (m := _ELEMENT_TITLE.match(title.strip())) is not None:
        return {"elements": [m.group(1)]}
    if (m := _ATTRIBUTE_TITLE.match(title.strip())) is not None:
        return {"attributes": [m.group(1)]}
    if slug.startswith("css-") and _PROPERTY_TITLE.match(title.strip()):
        return {"properties": [title.strip()]}
    raise SystemExit(f"no match rule for feature {slug!r} ({title!r}): add it to MATCHES")


def read_front_matter(path: Path) -> dict[str, Any]:
    """A feature's or client's Jekyll front matter: tab-indented YAML, read once tabs become spaces."""
    text = path.read_text(encoding="utf-8")
    m = FRONT_MATTER.match(text)
    if m is None:
        raise SystemExit(f"{path}: no front matter")
    data = yaml.safe_load(m.group(1).replace("\t", "    "))
    if not isinstance(data, dict):
        raise SystemExit(f"{path}: front matter is not a mapping")
    return data


def _support(stats: dict[str, Any], notes: dict[str, str], where: str) -> dict[str, list[str]]:
    """Per `family.platform`: [value, note text, version] of the latest (last listed) test."""
    out: dict[str, list[str]] = {}
    for family, platforms in (stats or {}).items():
        for platform, versions in (platforms or {}).items():
            if not versions:
                continue
            version, raw = list(versions.items())[-1]
            m = VALUE.match(str(raw))
            if m is None:
                raise SystemExit(f"{where}: {family}.{platform} {version}: unreadable value {raw!r}")
            nums = re.findall(r"\d+", m.group(2))
            note = " ".join(str(notes.get(n, notes.get(int(n), ""))).strip() for n in nums).strip()  # type: ignore[call-overload]
            out[f"{family}.{platform}"] = [m.group(1), note, str(version)]
    return dict(sorted(out.items()))


def convert(snapshot: Path) -> dict[str, Any]:
    """The compact data of a snapshot (deterministic: keys sorted)."""
    nice = yaml.safe_load((snapshot / "_data" / "nicenames.yml").read_text(encoding="utf-8"))
    families, platform_names = nice["family"], nice["platform"]
    clients: dict[str, str] = {}
    for path in sorted((snapshot / "_clients").glob("*.md")):
        family = path.stem
        for platform in read_front_matter(path).get("platforms") or []:
            clients[f"{family}.{platform}"] = (
                f"{families.get(family, family)} ({platform_names.get(platform, platform)})"
            )
    features: dict[str, Any] = {}
    for path in sorted((snapshot / "_features").glob("*.md")):
        if path.name.startswith("_"):
            continue  # _template.md is the authoring template
        data = read_front_matter(path)
        slug, title = path.stem, str(data.get("title", path.stem))
        notes = {str(k): str(v) for k, v in (data.get("notes_by_num") or {}).items()}
        support = _support(data.get("stats") or {}, notes, path.name)
        for key in support:
            if key not in clients:
                family, _, platform = key.partition(".")
                clients[key] = f"{families.get(family, family)} ({platform_names.get(platform, platform)})"
        features[slug] = {
            "title": title,
            "category": str(data.get("category", "")),
            "url": f"{SITE}{slug}/",
            "tested": str(data.get("last_test_date", "")),
            "match": MATCHES[slug] if slug in MATCHES else _derived(slug, title),
            "support": support,
        }
    return {
        "source": "Can I email (https://www.caniemail.com), github.com/hteumeuleu/caniemail; MIT License, "
        "copyright Rémi Parmentier (caniemail-LICENSE beside this file)",
        "clients": dict(sorted(clients.items())),
        "features": features,
    }


def dumps(data: dict[str, Any]) -> str:
    """The JSON text as shipped: compact, one feature per line so diffs stay readable."""
    head = {k: v for k, v in data.items() if k != "features"}
    lines = [json.dumps(head, ensure_ascii=False, sort_keys=True, separators=(",", ":"))[:-1] + ',"features":{']
    items = list(data["features"].items())
    for i, (slug, feature) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        lines.append(
            json.dumps(slug)
            + ":"
            + json.dumps(feature, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            + comma
        )
    lines.append("}}")
    return "\n".join(lines) + "\n"


ATTRIBUTION = """\
The file caniemail.json in this folder is derived from Can I email (https://www.caniemail.com),
github.com/hteumeuleu/caniemail, by scripts/caniemail_data.py. It is distributed under the MIT
License, copyright Rémi Parmentier: see caniemail-LICENSE.
"""


def main(argv: list[str] | None = None) -> int:
    """Write the JSON (and the license and attribution beside it); 2 when the snapshot is missing."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("snapshot", nargs="?", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    if not (args.snapshot / "_features").is_dir():
        print(f"{args.snapshot}: not a Can I email snapshot (no _features/)", file=sys.stderr)
        return 2
    data = convert(args.snapshot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(dumps(data), encoding="utf-8")
    shutil.copyfile(args.snapshot / "LICENSE", args.out.parent / "caniemail-LICENSE")
    (args.out.parent / "CANIEMAIL.txt").write_text(ATTRIBUTION, encoding="utf-8")
    print(f"{args.out}: {len(data['features'])} features, {len(data['clients'])} clients")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
