"""Build a project: compile templates (incrementally), lint them, write build/ outputs."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from kmsg_authoring import __version__
from kmsg_authoring.compile.types import CompiledTemplate, SourceMap, TokenRef
from kmsg_authoring.config import Config
from kmsg_authoring.errors import KmsgError, Location, UsageError
from kmsg_authoring.source import SAMPLES_DIR, YamlDoc, discover, is_template_dir

CACHE_DIR = ".cache"
MANIFEST = "manifest.json"


@dataclass
class BuildReport:
    """What a build did: compiled templates, failures and lint problems per slug."""

    compiled: dict[str, CompiledTemplate] = field(default_factory=dict)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    problems: dict[str, list[Any]] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
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


def _file_hash(root: Path, rel: str) -> str | None:
    try:
        return _sha((root / rel).read_bytes())
    except OSError:
        return None


def _settings_key(config: Config) -> str:
    """What besides the sources changes a compiled template."""
    return _sha(dumps([__version__, config.inliner, dict(config.brand), dict(config.lint), str(config.src_dir)]).encode())


def _sample_files(config: Config, slug: str) -> list[str]:
    folder = config.src_dir / slug / SAMPLES_DIR
    if not folder.is_dir():
        return []
    return sorted(config.rel(p) for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))


# -- cache ---------------------------------------------------------------------------------------
def _to_cache(c: CompiledTemplate, deps: dict[str, str | None], key: str) -> dict[str, Any]:
    return {
        "key": key,
        "deps": deps,
        "compiled": {
            "slug": c.slug, "folder": c.folder, "payload": c.payload,
            "tokens": [t.to_json() for t in c.tokens],
            "meta": {"path": c.meta.path, "data": c.meta.data,
                     "positions": [[list(k), list(v)] for k, v in c.meta.positions.items()]},
            "settings": c.settings, "marked_body": c.marked_body, "rendered": c.rendered,
            "marks": [[m.path, m.line, m.col] for m in c.source_map.marks],
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
        source_map=SourceMap([Location(*m) for m in c["marks"]]),
        dependencies=tuple(c["dependencies"]), content_hash=c["content_hash"],
        number_of_tokens_used=c["number_of_tokens_used"],
    )


def _cached(config: Config, slug: str, key: str) -> CompiledTemplate | None:
    path = config.build_dir / CACHE_DIR / f"{slug}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        deps: dict[str, str | None] = data["deps"]
        if sorted(deps) != sorted(set(deps) | set(_sample_files(config, slug))):
            return None
        if any(_file_hash(config.root, rel) != digest for rel, digest in deps.items()):
            return None
        return _from_cache(data)
    except (OSError, ValueError, KeyError, TypeError):
        return None


# -- outputs -------------------------------------------------------------------------------------
def manifest_entry(c: CompiledTemplate) -> dict[str, Any]:
    """The manifest's record of one template."""
    return {
        "name": c.payload.get("name"),
        "hash": c.content_hash,
        "numberOfTokenUsed": c.number_of_tokens_used,
        "tokens": [t.to_json() for t in c.tokens],
    }


def _write_outputs(config: Config, report: BuildReport, attempted: Iterable[str]) -> None:
    out = config.build_dir
    manifest_path = out / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))["templates"]
        if not isinstance(manifest, dict):
            manifest = {}
    except (OSError, ValueError, KeyError, TypeError):
        manifest = {}
    existing = set(discover(config.src_dir))
    manifest = {k: v for k, v in manifest.items() if k in existing}
    for slug in attempted:
        c = report.compiled.get(slug)
        if c is None or slug in report.failures:
            manifest.pop(slug, None)
            for suffix in (".json", ".html"):
                (out / f"{slug}{suffix}").unlink(missing_ok=True)
            continue
        if write_atomic(out / f"{slug}.json", dumps(c.payload)):
            report.written.append(f"{slug}.json")
        if write_atomic(out / f"{slug}.html", c.body):
            report.written.append(f"{slug}.html")
        manifest[slug] = manifest_entry(c)
    write_atomic(manifest_path, dumps({"templates": dict(sorted(manifest.items()))}))


# -- the build -----------------------------------------------------------------------------------
def resolve_slugs(config: Config, names: Iterable[str] | None) -> list[str]:
    """Slugs from names given by the user (slugs, template folders or files inside one)."""
    if not names:
        return discover(config.src_dir)
    from kmsg_authoring.source import slug_for_path

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
    progress: Callable[[str, int, int], None] | None = None,
) -> BuildReport:
    """Compile templates (all, or the given slugs); lint them; write outputs when asked.

    A template that fails to compile or has lint errors gets no output and a list of failures;
    the others build regardless. Templates whose sources did not change come from the cache
    (and are linted again only with lint_cached).
    """
    from kmsg_authoring.compile import CompileEnv, compile_template

    targets = list(slugs) if slugs is not None else discover(config.src_dir)
    report = BuildReport()
    key = _settings_key(config)
    env: CompileEnv | None = None
    lint_fn = _lint_function() if lint else None
    samples_fn = _samples_function()
    for i, slug in enumerate(targets):
        if progress:
            progress(slug, i, len(targets))
        compiled = _cached(config, slug, key) if use_cache else None
        fresh = compiled is None
        if compiled is None:
            env = env or CompileEnv(config)
            try:
                compiled = compile_template(config, slug, env=env)
            except KmsgError as exc:
                report.failures[slug] = [exc]
                continue
            except RecursionError:
                report.failures[slug] = [KmsgError("too deeply nested to compile", Location(f"{config.rel(config.src_dir)}/{slug}/body.html"))]
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
                KmsgError(f"{p.code} {p.message}", p.location) for p in problems if p.severity == "error"
            )
        if errors:
            report.failures[slug] = errors
        elif fresh and write and use_cache:
            deps = {rel: _file_hash(config.root, rel) for rel in (*compiled.dependencies, *_sample_files(config, slug))}
            write_atomic(config.build_dir / CACHE_DIR / f"{slug}.json", json.dumps(_to_cache(compiled, deps, key)))
    if write:
        _write_outputs(config, report, targets)
    return report


def _lint_function() -> Callable[[CompiledTemplate, Config], Iterable[Any]] | None:
    try:
        from kmsg_authoring.lint import lint_template
    except ImportError:
        return None
    return lint_template  # type: ignore[no-any-return]


def _samples_function() -> Callable[[Config, CompiledTemplate], list[KmsgError]] | None:
    try:
        from kmsg_authoring.samples import check_samples
    except ImportError:
        return None
    return check_samples  # type: ignore[no-any-return]
