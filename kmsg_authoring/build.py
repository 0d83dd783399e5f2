"""Build a project: compile templates (incrementally), lint them, write build/ outputs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmsg_authoring import __version__
from kmsg_authoring.compile.types import CompiledTemplate, SourceMap, TokenRef
from kmsg_authoring.source.config import Config
from kmsg_authoring.errors import KmsgError, Location, UsageError
from kmsg_authoring.source.project import SAMPLES_DIR, YamlDoc, discover, is_template_dir

CACHE_FILE = ".cache.sqlite"
CACHE_FORMAT = 3
MANIFEST = "manifest.json"


@dataclass
class BuildReport:
    """What a build did: compiled templates, failures and lint problems per slug."""

    compiled: dict[str, CompiledTemplate] = field(default_factory=dict)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    problems: dict[str, list[Any]] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # not loaded: sources and outputs as last built
    written: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every template compiled without lint errors."""
        return not self.failures


def dumps(data: Any) -> str:
    """Deterministic JSON text: the same data always gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def write_atomic(path: Path, text: str) -> bool:
    """Write text to path through a temporary file; leaves an identical file untouched. True if written."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Hashes:
    """Content hashes of project files, each file read once per build."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, str | None] = {}

    def __call__(self, rel: str) -> str | None:
        if rel not in self.known:
            try:
                self.known[rel] = _sha((self.root / rel).read_bytes())
            except OSError:
                self.known[rel] = None
        return self.known[rel]


def _settings_key(config: Config) -> str:
    """What besides the sources changes a compiled template."""
    return _sha(dumps([CACHE_FORMAT, __version__, config.inliner, dict(config.brand), dict(config.lint), str(config.src_dir)]).encode())


def _sample_files(config: Config, slug: str) -> list[str]:
    folder = config.src_dir / slug / SAMPLES_DIR
    if not folder.is_dir():
        return []
    return sorted(config.rel(p) for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


# -- cache ---------------------------------------------------------------------------------------
def _to_cache(c: CompiledTemplate) -> dict[str, Any]:
    return {
        "compiled": {
            "slug": c.slug, "folder": c.folder, "payload": c.payload,
            "tokens": [t.to_json() for t in c.tokens],
            "meta": {"path": c.meta.path, "data": c.meta.data,
                     "positions": [[list(k), list(v)] for k, v in c.meta.positions.items()]},
            "settings": c.settings, "marked_body": c.marked_body, "rendered": c.rendered,
            "marks": [[i, m.path, m.line, m.col] for i, m in c.source_map.marks.items()],
            "dependencies": list(c.dependencies), "content_hash": c.content_hash,
            "number_of_tokens_used": c.number_of_tokens_used,
        },
    }


def _from_cache(data: dict[str, Any]) -> CompiledTemplate:
    c = data["compiled"]
    meta = c["meta"]
    return CompiledTemplate(
        slug=c["slug"], folder=c["folder"], payload=c["payload"],
        tokens=tuple(TokenRef.from_json(t) for t in c["tokens"]),
        meta=YamlDoc(meta["path"], meta["data"], {tuple(k): (v[0], v[1]) for k, v in meta["positions"]}),
        settings=c["settings"], marked_body=c["marked_body"], rendered=c["rendered"],
        source_map=SourceMap({m[0]: Location(m[1], m[2], m[3]) for m in c["marks"]}),
        dependencies=tuple(c["dependencies"]), content_hash=c["content_hash"],
        number_of_tokens_used=c["number_of_tokens_used"],
    )


class _Cache:
    """build/.cache.sqlite: each clean template's dependencies, content hash and full compiled record.

    One SQLite file rather than a file per template: creating files is what a cold build would
    otherwise spend most of its time on. A damaged cache is simply rebuilt.
    """

    def __init__(self, config: Config, key: str) -> None:
        self.config = config
        self.path = config.build_dir / CACHE_FILE
        self.key = key
        self.hashes = _Hashes(config.root)
        self.index: dict[str, Any] = {}
        self.db: Any = None
        try:
            self._open()
        except Exception:  # noqa: BLE001 - sqlite3.Error and friends: start afresh
            self._reset()

    def _open(self) -> None:
        import sqlite3

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT)")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS templates (slug TEXT PRIMARY KEY, deps TEXT, hash TEXT, record TEXT)")
        row = self.db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        if row is None or row[0] != self.key:
            self.db.execute("DELETE FROM templates")
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('key', ?)", (self.key,))
        self.index = {slug: (json.loads(deps), digest)
                      for slug, deps, digest in self.db.execute("SELECT slug, deps, hash FROM templates")}
        self.db.execute("BEGIN")

    def _reset(self) -> None:
        if self.db is not None:
            self.db.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        self._open()

    def unchanged(self, slug: str) -> bool:
        """True when no source of the template changed since it was last built clean."""
        entry = self.index.get(slug)
        if entry is None:
            return False
        deps: dict[str, str | None] = entry[0]
        if set(_sample_files(self.config, slug)) - set(deps):
            return False
        return all(self.hashes(rel) == digest for rel, digest in deps.items())

    def load(self, slug: str) -> CompiledTemplate | None:
        """The full compiled record of an unchanged template."""
        try:
            row = self.db.execute("SELECT record FROM templates WHERE slug = ?", (slug,)).fetchone()
            compiled = _from_cache(json.loads(row[0]))
        except Exception:  # noqa: BLE001 - a damaged record is recompiled
            return None
        return compiled if compiled.content_hash == self.index[slug][1] else None

    def store(self, compiled: CompiledTemplate, *, record: bool = True) -> None:
        """Remember a clean template: its dependencies and hash, and (with record) the compiled template.

        The build command only needs to know what is unchanged; the full record serves callers that
        load unchanged templates (lint, preview) and costs as much to write as a third of a compile.
        """
        deps = {rel: self.hashes(rel) for rel in (*compiled.dependencies, *_sample_files(self.config, compiled.slug))}
        self.db.execute("INSERT OR REPLACE INTO templates VALUES (?, ?, ?, ?)",
                        (compiled.slug, json.dumps(deps), compiled.content_hash,
                         json.dumps(_to_cache(compiled), ensure_ascii=False, check_circular=False) if record else None))
        self.index[compiled.slug] = (deps, compiled.content_hash)

    def forget(self, slug: str) -> None:
        if self.index.pop(slug, None) is not None:
            self.db.execute("DELETE FROM templates WHERE slug = ?", (slug,))

    def save(self) -> None:
        self.db.execute("COMMIT")
        self.db.close()


# -- outputs -------------------------------------------------------------------------------------
CONTRACTS_DIR = "contracts"


def contract_rel(slug: str) -> str:
    """Where a template's contract (the JSON Schema of its msgParams) is written, relative to build/."""
    return f"{CONTRACTS_DIR}/{slug}.schema.json"


def manifest_entry(c: CompiledTemplate) -> dict[str, Any]:
    """The manifest's record of one template."""
    return {
        "name": c.payload.get("name"),
        "hash": c.content_hash,
        "numberOfTokenUsed": c.number_of_tokens_used,
        "tokens": [t.to_json() for t in c.tokens],
        "contract": contract_rel(c.slug),
    }


def manifest_text(manifest: dict[str, Any]) -> str:
    """build/manifest.json: one line per template, sorted, so that diffs stay readable and writing stays fast."""
    lines = [f"  {json.dumps(slug)}: {json.dumps(manifest[slug], ensure_ascii=False)}" for slug in sorted(manifest)]
    return '{"templates": {\n' + ",\n".join(lines) + ("\n" if lines else "") + "}}\n"


def _read_manifest(config: Config) -> dict[str, Any]:
    try:
        manifest = json.loads((config.build_dir / MANIFEST).read_text(encoding="utf-8"))["templates"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_outputs(config: Config, report: BuildReport, attempted: Iterable[str], manifest: dict[str, Any]) -> None:
    out = config.build_dir
    existing = set(discover(config.src_dir))
    manifest = {k: v for k, v in manifest.items() if k in existing}
    for slug in attempted:
        if slug in report.unchanged:
            continue
        c = report.compiled.get(slug)
        if c is None or slug in report.failures:
            manifest.pop(slug, None)
            for suffix in (".json", ".html"):
                (out / f"{slug}{suffix}").unlink(missing_ok=True)
            (out / contract_rel(slug)).unlink(missing_ok=True)
            continue
        if write_atomic(out / f"{slug}.json", dumps(c.payload)):
            report.written.append(f"{slug}.json")
        if write_atomic(out / f"{slug}.html", c.body):
            report.written.append(f"{slug}.html")
        if write_atomic(out / contract_rel(slug), _contract_text(c)):
            report.written.append(contract_rel(slug))
        manifest[slug] = manifest_entry(c)
    write_atomic(out / MANIFEST, manifest_text(manifest))


def _contract_text(c: CompiledTemplate) -> str:
    from kmsg_authoring.compile.contract import contract_schema

    return dumps(contract_schema(c.payload, c.slug))


# -- the build -----------------------------------------------------------------------------------
def resolve_slugs(config: Config, names: Iterable[str] | None) -> list[str]:
    """Slugs from names given by the user (slugs, template folders or files inside one)."""
    if not names:
        return discover(config.src_dir)
    from kmsg_authoring.source.project import slug_for_path

    slugs: list[str] = []
    for name in names:
        path = Path(name)
        if is_template_dir(config.src_dir / name):
            slug = name
        elif path.exists():
            resolved, src = path.resolve(), config.src_dir.resolve()
            inside = resolved.relative_to(src).parts if resolved.is_relative_to(src) else ()
            if inside and inside[0].startswith("_"):
                # A shared layout, partial or stylesheet: every template may use it.
                slugs.extend(discover(config.src_dir))
                continue
            slug = slug_for_path(config.src_dir, path)
        else:
            raise UsageError(f"no template '{name}' in {config.rel(config.src_dir)}/")
        slugs.append(slug)
    return sorted(set(slugs))


def build_project(
    config: Config,
    slugs: Iterable[str] | None = None,
    *,
    write: bool = True,
    use_cache: bool = True,
    lint: bool = True,
    lint_cached: bool = False,
    load_unchanged: bool = True,
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildReport:
    """Compile templates (all, or the given slugs); lint them; write outputs when asked.

    A template that fails to compile or has lint errors gets no output and a list of failures;
    the others build regardless. Templates whose sources did not change come from the cache and
    are linted again only with lint_cached; with load_unchanged=False (the build command) they are
    not even loaded when their outputs are in place, and are listed in `unchanged`.
    """
    from kmsg_authoring.compile import CompileEnv, compile_template

    targets = list(slugs) if slugs is not None else discover(config.src_dir)
    report = BuildReport()
    cache = _Cache(config, _settings_key(config)) if use_cache else None
    manifest = _read_manifest(config) if write else {}
    env: CompileEnv | None = None
    lint_fn = _lint_function() if lint else None
    samples_fn = _samples_function()
    for i, slug in enumerate(targets):
        if progress:
            progress(slug, i, len(targets))
        compiled = None
        if cache is not None and cache.unchanged(slug):
            in_place = slug in manifest and all(
                (config.build_dir / f"{slug}{suffix}").is_file() for suffix in (".json", ".html")
            ) and (config.build_dir / contract_rel(slug)).is_file()
            if not load_unchanged and not lint_cached and (in_place or not write):
                report.unchanged.append(slug)
                continue
            compiled = cache.load(slug)
        fresh = compiled is None
        if compiled is None:
            env = env or CompileEnv(config)
            try:
                compiled = compile_template(config, slug, env=env)
            except KmsgError as exc:
                report.failures[slug] = [exc]
                if cache is not None:
                    cache.forget(slug)
                continue
            report.rebuilt.append(slug)
        report.compiled[slug] = compiled
        errors: list[KmsgError] = []
        if fresh and samples_fn is not None:
            errors.extend(samples_fn(config, compiled))
        if lint_fn is not None and (fresh or lint_cached):
            problems = list(lint_fn(compiled, config))
            report.problems[slug] = problems
            errors.extend(
                KmsgError(f"{p.code} {p.message}", p.location) for p in problems if p.is_error
            )
        if errors:
            report.failures[slug] = errors
            if cache is not None:
                cache.forget(slug)
        elif fresh and cache is not None:
            cache.store(compiled, record=load_unchanged)
    if write:
        _write_outputs(config, report, targets, manifest)
    if cache is not None:
        cache.save()
    return report


def _lint_function() -> Callable[[CompiledTemplate, Config], Iterable[Any]] | None:
    try:
        from kmsg_authoring.lint import lint_template
    except ImportError:
        return None
    return lint_template


def _samples_function() -> Callable[[Config, CompiledTemplate], Sequence[KmsgError]] | None:
    try:
        from kmsg_authoring.render.samples import check_samples
    except ImportError:
        return None
    return check_samples
