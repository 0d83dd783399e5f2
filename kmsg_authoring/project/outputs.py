"""A build's outputs in build/: each template's payload, body and contract, the manifest, and the digests
that prove them current.

An output file's presence proves nothing: a build that skips a template checks that the bytes in
build/ hash to what the last build of the same sources wrote (see `proven`).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kmsg_authoring.project.cache import dumps
from kmsg_authoring.source.project import digest as sha
from kmsg_authoring.source.config import Config
from kmsg_authoring.source.files import read_regular, write_atomic
from kmsg_authoring.source.project import discover

if TYPE_CHECKING:
    from kmsg_authoring.compile.types import CompiledTemplate
    from kmsg_authoring.project.report import BuildReport

MANIFEST = "manifest.json"
CONTRACTS_DIR = "contracts"
CONTRACT_SUFFIX = ".schema.json"


def contract_rel(slug: str) -> str:
    """Where a template's contract (the JSON Schema of its msgParams) is written, relative to build/."""
    return f"{CONTRACTS_DIR}/{slug}{CONTRACT_SUFFIX}"


def manifest_entry(c: CompiledTemplate) -> dict[str, Any]:
    """The manifest's record of one template (and, for one locale's build, its slug and locale)."""
    where = {"slug": c.slug, "locale": c.locale} if c.locale is not None else {}
    return {
        **where,
        "name": c.payload.get("name"),
        "hash": c.content_hash,
        "numberOfTokenUsed": c.number_of_tokens_used,
        "tokens": [t.to_json() for t in c.tokens],
        "contract": contract_rel(c.slug),
    }


def _entry_text(entry: Any) -> str:
    return json.dumps(entry, ensure_ascii=False)


def manifest_text(manifest: dict[str, Any]) -> str:
    """build/manifest.json: one line per template, sorted, so that diffs stay readable and writing stays fast."""
    lines = [f"  {json.dumps(slug)}: {_entry_text(manifest[slug])}" for slug in sorted(manifest)]
    return '{"templates": {\n' + ",\n".join(lines) + ("\n" if lines else "") + "}}\n"


def read_manifest(config: Config) -> tuple[dict[str, Any], dict[str, str]]:
    """The manifest of the last build ({} when absent or unreadable), and each entry's text as written
    (what `proven` hashes: re-encoding every entry would cost more than reading it)."""
    try:
        text = (config.build_dir / MANIFEST).read_text(encoding="utf-8")
        manifest = json.loads(text)["templates"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}, {}
    if not isinstance(manifest, dict):
        return {}, {}
    written: dict[str, str] = {}
    for line in text.splitlines()[1:-1]:
        key, sep, entry = line.strip().removesuffix(",").partition(": ")
        with contextlib.suppress(ValueError):
            if sep and isinstance(name := json.loads(key), str):
                written[name] = entry
    return manifest, written


@dataclass(frozen=True)
class Outputs:
    """What one compiled template puts in build/: text by path relative to build/, and its manifest entry."""

    name: str  # <slug>, or <slug>.<locale> for one locale's build
    files: Mapping[str, str]
    entry: Mapping[str, Any]

    def digest(self) -> dict[str, Any]:
        """The hashes a later build compares build/ with (see `proven`)."""
        return {
            "name": self.name,
            "files": {rel: sha(text.encode("utf-8")) for rel, text in self.files.items()},
            "manifest": sha(_entry_text(dict(self.entry)).encode("utf-8")),
        }


def outputs_of(c: CompiledTemplate, name: str, *, owns_contract: bool) -> Outputs:
    """The outputs of a compiled template filed under name; owns_contract: it writes its folder's contract."""
    from kmsg_authoring.contract.template import contract_schema

    files = {f"{name}.json": dumps(c.payload), f"{name}.html": c.body}
    if owns_contract:
        files[contract_rel(c.slug)] = dumps(contract_schema(c.payload, c.slug))
    return Outputs(name, files, manifest_entry(c))


def proven(config: Config, manifest: Mapping[str, str], recorded: Any, slug: str) -> str | None:
    """The name of a template's outputs when build/ holds exactly what its last build recorded (recorded:
    the `Outputs.digest` the cache kept; manifest: each manifest entry's text as written), else None: an
    absent, edited or other command's file is no proof."""
    if not isinstance(recorded, dict):
        return None
    name, files, entry = recorded.get("name"), recorded.get("files"), recorded.get("manifest")
    if name != slug and not (
        isinstance(name, str) and name.startswith(f"{slug}.") and name[len(slug) + 1 :] in config.locales
    ):
        return None
    if not isinstance(files, dict) or not {f"{name}.json", f"{name}.html"} <= set(files):
        return None
    if not set(files) <= {f"{name}.json", f"{name}.html", contract_rel(slug)}:
        return None
    if name not in manifest or sha(manifest[name].encode("utf-8")) != entry:
        return None
    build_dir = os.fspath(config.build_dir)
    for rel, digest in files.items():
        # Only a regular file of build/ itself: a link or a device there proves nothing (and is not read).
        data = read_regular(os.path.join(build_dir, rel))
        if data is None or sha(data) != digest:
            return None
    return str(name)


def write_outputs(
    config: Config, report: BuildReport, attempted: Iterable[str], manifest: dict[str, Any]
) -> dict[str, dict[str, Any]]:
    """Write the outputs of the attempted report keys, remove those of failed ones, rewrite the manifest.

    Returns the digest of each key's outputs as written (keys that failed or were proven unchanged have none).
    """
    out = config.build_dir
    existing = set(discover(config.src_dir))
    locales = set(config.locales)
    manifest = {
        k: v
        for k, v in manifest.items()
        if k in existing or (isinstance(v, dict) and v.get("slug") in existing and v.get("locale") in locales)
    }
    attempted = list(attempted)
    digests: dict[str, dict[str, Any]] = {}
    for key in attempted:
        if key in report.unchanged:
            continue
        # A template that became localized (or stopped being) loses the outputs of its other shape.
        folder = report.slug_of(key)
        for stale in [
            k
            for k, v in manifest.items()
            if k not in attempted
            and (k == folder or (isinstance(v, dict) and v.get("slug") == folder and v.get("locale")))
        ]:
            manifest.pop(stale, None)
            for suffix in (".json", ".html"):
                (out / f"{stale}{suffix}").unlink(missing_ok=True)
        # One contract per template folder, whatever its locales: msgParams do not depend on the
        # language, so the default locale's build (or the only one) writes it.
        owns_contract = report.variants.get(key, (folder, config.default_locale))[1] == config.default_locale
        c = report.compiled.get(key)
        if c is None or key in report.failures:
            manifest.pop(key, None)
            for suffix in (".json", ".html"):
                (out / f"{key}{suffix}").unlink(missing_ok=True)
            if owns_contract:
                (out / contract_rel(folder)).unlink(missing_ok=True)
            continue
        outputs = outputs_of(c, key, owns_contract=owns_contract)
        for rel, text in outputs.files.items():
            if write_atomic(out / rel, text):
                report.written.append(rel)
        manifest[key] = dict(outputs.entry)
        digests[key] = outputs.digest()
    write_atomic(out / MANIFEST, manifest_text(manifest))
    _remove_stray_outputs(
        config, set(manifest), {str(v.get("slug") or k) if isinstance(v, dict) else k for k, v in manifest.items()}
    )
    return digests


def _remove_stray_outputs(config: Config, kept: set[str], kept_contracts: set[str]) -> None:
    """build/ holds the outputs of the templates that exist and built: others (a removed or renamed
    template's) go. Only <name>.json and <name>.html directly in build/, and contracts/<name>.schema.json,
    are touched, and only when build/ is a folder of its own (not the project root or the sources)."""
    out, root, src = config.build_dir.resolve(), config.root.resolve(), config.src_dir.resolve()
    if out == root or not out.is_relative_to(root) or src.is_relative_to(out) or out.is_relative_to(src):
        return
    for path in out.iterdir():
        if path.suffix in (".json", ".html") and path.name != MANIFEST and path.stem not in kept and path.is_file():
            path.unlink(missing_ok=True)
    contracts = out / CONTRACTS_DIR
    if contracts.is_dir() and not contracts.is_symlink():
        for path in contracts.iterdir():
            if (
                path.name.endswith(CONTRACT_SUFFIX)
                and path.name[: -len(CONTRACT_SUFFIX)] not in kept_contracts
                and path.is_file()
            ):
                path.unlink(missing_ok=True)
