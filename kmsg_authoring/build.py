"""Config and template slugs in, a BuildReport and build/ outputs out: compile (incrementally), lint, write."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kmsg_authoring import __version__
from kmsg_authoring.compile.types import CompiledTemplate, SourceMap, TokenRef
from kmsg_authoring.source.config import Config
from kmsg_authoring.errors import BuildError, KmsgError, Location, SourceError
from kmsg_authoring.lint.problem import Problem
from kmsg_authoring.source.files import write_atomic
from kmsg_authoring.source.project import (
    SAMPLES_DIR,
    YamlDoc,
    confine,
    digest,
    discover,
    read_bytes,
    recording_reads,
)

CACHE_FILE = ".cache.sqlite"
CACHE_FORMAT = 5  # 5: document frame kept, canonical tokens, keyed by the bytes read
MANIFEST = "manifest.json"
# Seconds a process waits for another one's write to the shared cache; past it, the cache is a miss.
BUSY_TIMEOUT = 2.0
_SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: another process holds the cache
_SQLITE_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: start the file afresh


@dataclass
class BuildReport:
    """What a build did: compiled templates, failures and lint problems per slug."""

    compiled: dict[str, CompiledTemplate] = field(default_factory=dict)
    failures: dict[str, list[KmsgError]] = field(default_factory=dict)
    problems: dict[str, list[Problem]] = field(default_factory=dict)
    rebuilt: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # not loaded: sources and outputs as last built
    written: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one-line warnings: the cache could not be used or saved
    # A template with translatable text is filed once per locale, under "<slug>.<locale>".
    variants: dict[str, tuple[str, str]] = field(default_factory=dict)  # key -> (slug, locale)

    @property
    def ok(self) -> bool:
        """True when every template compiled without lint errors."""
        return not self.failures

    def slug_of(self, key: str) -> str:
        """The template folder a report key belongs to."""
        return self.variants[key][0] if key in self.variants else key

    def keys(self, slugs: Iterable[str]) -> list[str]:
        """The report keys of templates: the slug, or one "<slug>.<locale>" per locale."""
        wanted = list(slugs)
        by_slug: dict[str, list[str]] = {}
        for key, (slug, _) in self.variants.items():
            by_slug.setdefault(slug, []).append(key)
        return [k for slug in wanted for k in (sorted(by_slug[slug]) if slug in by_slug else [slug])]

    def rekey(self, old: str, new: str) -> None:
        """File what was recorded under old (the default-locale compile) under new."""
        if old in self.compiled:
            self.compiled[new] = self.compiled.pop(old)
        if old in self.failures:
            self.failures[new] = self.failures.pop(old)
        if old in self.problems:
            self.problems[new] = self.problems.pop(old)
        for seq in (self.rebuilt, self.unchanged, self.written):
            for i, value in enumerate(seq):
                if value == old:
                    seq[i] = new


def dumps(data: Any) -> str:
    """Deterministic JSON text: the same data always gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Hashes:
    """Content hashes of project files as they are now, each file read once per build (None: absent or refused)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.known: dict[str, str | None] = {}

    def __call__(self, rel: str) -> str | None:
        if rel not in self.known:
            try:
                self.known[rel] = digest(read_bytes(self.root / rel, rel, root=self.root))
            except SourceError:
                self.known[rel] = None
        return self.known[rel]


def _settings_key(config: Config) -> str:
    """What besides the sources changes a compiled template."""
    return _sha(dumps([CACHE_FORMAT, __version__, config.inliner, config.remote_stylesheets, dict(config.brand),
                       dict(config.lint), str(config.src_dir), config.render_time_limit,
                       config.render_size_limit, repr(config.mjml), *_i18n_settings(config)]).encode())


def _i18n_settings(config: Config) -> list[Any]:
    """[i18n] settings, only when set: a project without them keeps the cache it had."""
    return [list(config.locales), config.default_locale, config.suffix_default_locale] if config.locales else []


def _sample_files(config: Config, slug: str) -> list[str]:
    """The sample files of a template, spelled as the sample checks read them."""
    folder = config.src_dir / slug
    try:
        rel = confine(config.root, folder)
    except SourceError:
        return []
    samples = folder / SAMPLES_DIR
    if not samples.is_dir():
        return []
    return sorted(f"{rel}/{SAMPLES_DIR}/{p.name}" for p in samples.iterdir() if p.suffix in (".yaml", ".yml"))


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
            "locale": c.locale, "translations": [t.to_json() for t in c.translations],
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
        locale=c.get("locale"), translations=_translations(c.get("translations") or []),
    )


def _translations(data: list[dict[str, Any]]) -> tuple[Any, ...]:
    if not data:
        return ()
    from kmsg_authoring.compile.i18n import TranslationUse

    return tuple(TranslationUse.from_json(t) for t in data)


class _Cache:
    """build/.cache.sqlite: each clean template's source hashes, content hash and full compiled record.

    One SQLite file rather than a file per template: creating files is what a cold build would
    otherwise spend most of its time on. Any number of processes share it (a preview, the pre-commit
    hook's lint, parallel CI steps): reads never wait, writes are gathered into one short transaction
    at the end, and a cache another process keeps busy past BUSY_TIMEOUT is a miss, never an error.
    Each row names the settings it was built with, so processes with other settings cannot mix.
    A damaged file is started afresh; one that cannot be used at all is reported in `problem`.
    """

    def __init__(self, config: Config, key: str) -> None:
        self.config = config
        self.path = config.build_dir / CACHE_FILE
        self.key = key
        self.hashes = _Hashes(config.root)
        self.index: dict[str, tuple[dict[str, str | None], str]] = {}
        self.pending: dict[str, tuple[str, str, str | None] | None] = {}  # slug -> row to write, None: delete
        self.db: Any = None
        self.problem: str | None = None
        self._connect(retry_damaged=True)

    def _describe(self, exc: BaseException) -> str:
        rel = self.config.rel(self.path)
        if self.path.is_dir():
            return f"{rel} is a folder; remove it"
        text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"{rel}: {text}"

    def _connect(self, *, retry_damaged: bool) -> None:
        import sqlite3

        try:
            self._open()
        except sqlite3.Error as exc:
            self._close()
            code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
            if code in _SQLITE_BUSY:
                return  # another process is writing: a miss this time
            if code in _SQLITE_DAMAGED and retry_damaged and self._remove_files():
                self._connect(retry_damaged=False)
                return
            self.problem = f"build cache not used: {self._describe(exc)}"
        except OSError as exc:
            self._close()
            self.problem = f"build cache not used: {self._describe(exc)}"

    def _open(self) -> None:
        import sqlite3

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=OFF")
        if self.db.execute("PRAGMA user_version").fetchone()[0] != CACHE_FORMAT:
            self.db.execute("BEGIN IMMEDIATE")
            # Checked again under the lock: another process may have just set the file up.
            if self.db.execute("PRAGMA user_version").fetchone()[0] != CACHE_FORMAT:
                for table in ("meta", "templates"):
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute(
                    "CREATE TABLE templates (slug TEXT PRIMARY KEY, key TEXT, deps TEXT, hash TEXT, record TEXT)")
                self.db.execute(f"PRAGMA user_version = {CACHE_FORMAT}")
            self.db.execute("COMMIT")
        rows = self.db.execute("SELECT slug, deps, hash FROM templates WHERE key = ?", (self.key,)).fetchall()
        self.index = {}
        for slug, deps, digest_ in rows:
            try:
                parsed = json.loads(deps)
            except (TypeError, ValueError):
                continue  # a damaged row is a miss
            if isinstance(parsed, dict) and isinstance(digest_, str):
                self.index[slug] = (parsed, digest_)

    def _close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.db.close()
        self.db = None
        self.index = {}

    def _remove_files(self) -> bool:
        try:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        except OSError:
            return False
        return True

    def unchanged(self, slug: str, folder: str | None = None) -> bool:
        """True when every file the template was last compiled from still holds the bytes compiled
        (slug: its cache key, folder: its template folder when the key names one locale's build)."""
        entry = self.index.get(slug)
        if entry is None:
            return False
        deps = entry[0]
        slug = folder or slug
        if set(_sample_files(self.config, slug)) - set(deps):
            return False
        return all(self.hashes(rel) == digest_ for rel, digest_ in deps.items())

    def load(self, slug: str) -> CompiledTemplate | None:
        """The full compiled record of an unchanged template (None: absent, damaged or replaced meanwhile)."""
        try:
            row = self.db.execute("SELECT record, hash FROM templates WHERE slug = ? AND key = ?",
                                  (slug, self.key)).fetchone()
            if row is None or row[1] != self.index[slug][1]:
                return None
            compiled = _from_cache(json.loads(row[0]))
        except Exception:  # noqa: BLE001 - a damaged or busy record is recompiled
            return None
        return compiled if compiled.content_hash == self.index[slug][1] else None

    def store(self, compiled: CompiledTemplate, reads: dict[str, str | None], *, record: bool = True,
              key: str | None = None) -> None:
        """Remember a clean template by the hashes of the bytes it was compiled from (reads), and (with
        record) the compiled template itself.

        The build command only needs to know what is unchanged; the full record serves callers that
        load unchanged templates (lint, preview) and costs as much to write as a third of a compile.
        """
        if self.db is None:
            return
        key = key or compiled.slug
        deps = {rel: self.hashes(rel) for rel in _sample_files(self.config, compiled.slug)}
        deps.update(reads)
        self.pending[key] = (
            json.dumps(deps), compiled.content_hash,
            json.dumps(_to_cache(compiled), ensure_ascii=False, check_circular=False) if record else None)
        self.index[key] = (deps, compiled.content_hash)

    def forget(self, slug: str) -> None:
        """Drop a template that failed, so that it is compiled again next time."""
        if self.index.pop(slug, None) is not None:
            self.pending[slug] = None

    def save(self) -> None:
        """Write what this build learnt in one short transaction; a busy cache keeps its old rows."""
        import sqlite3

        if self.db is None:
            return
        try:
            if self.pending:
                self.db.execute("BEGIN IMMEDIATE")
                for slug, row in self.pending.items():
                    if row is None:
                        self.db.execute("DELETE FROM templates WHERE slug = ?", (slug,))
                    else:
                        self.db.execute("INSERT OR REPLACE INTO templates VALUES (?, ?, ?, ?, ?)", (slug, self.key, *row))
                self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _SQLITE_BUSY:
                self.problem = f"build cache not saved: {self._describe(exc)}"
        finally:
            self._close()


# -- outputs -------------------------------------------------------------------------------------
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


def manifest_text(manifest: dict[str, Any]) -> str:
    """build/manifest.json: one line per template, sorted, so that diffs stay readable and writing stays fast."""
    lines = [f"  {json.dumps(slug)}: {json.dumps(manifest[slug], ensure_ascii=False)}" for slug in sorted(manifest)]
    return '{"templates": {\n' + ",\n".join(lines) + ("\n" if lines else "") + "}}\n"


def _output_key(config: Config, manifest: dict[str, Any], slug: str) -> str:
    """The name a template's default-locale outputs had at its last build: <slug>.<locale> when it was localized."""
    localized = f"{slug}.{config.default_locale}"
    if config.default_locale and isinstance(manifest.get(localized), dict) and \
            manifest[localized].get("locale") == config.default_locale:
        return localized
    return slug


def _read_manifest(config: Config) -> dict[str, Any]:
    try:
        manifest = json.loads((config.build_dir / MANIFEST).read_text(encoding="utf-8"))["templates"]
    except (OSError, ValueError, KeyError, TypeError):
        return {}
    return manifest if isinstance(manifest, dict) else {}


def _write_outputs(config: Config, report: BuildReport, attempted: Iterable[str], manifest: dict[str, Any]) -> None:
    out = config.build_dir
    existing = set(discover(config.src_dir))
    locales = set(config.locales)
    manifest = {k: v for k, v in manifest.items() if k in existing or (
        isinstance(v, dict) and v.get("slug") in existing and v.get("locale") in locales)}
    attempted = list(attempted)
    for slug in attempted:
        if slug in report.unchanged:
            continue
        # A template that became localized (or stopped being) loses the outputs of its other shape.
        folder = report.slug_of(slug)
        for stale in [k for k, v in manifest.items() if k not in attempted and (
                k == folder or (isinstance(v, dict) and v.get("slug") == folder and v.get("locale")))]:
            manifest.pop(stale, None)
            for suffix in (".json", ".html"):
                (out / f"{stale}{suffix}").unlink(missing_ok=True)
        # One contract per template folder, whatever its locales: msgParams do not depend on the
        # language, so the default locale's build (or the only one) writes it.
        owns_contract = report.variants.get(slug, (folder, config.default_locale))[1] == config.default_locale
        c = report.compiled.get(slug)
        if c is None or slug in report.failures:
            manifest.pop(slug, None)
            for suffix in (".json", ".html"):
                (out / f"{slug}{suffix}").unlink(missing_ok=True)
            if owns_contract:
                (out / contract_rel(folder)).unlink(missing_ok=True)
            continue
        if write_atomic(out / f"{slug}.json", dumps(c.payload)):
            report.written.append(f"{slug}.json")
        if write_atomic(out / f"{slug}.html", c.body):
            report.written.append(f"{slug}.html")
        if owns_contract and write_atomic(out / contract_rel(folder), _contract_text(c)):
            report.written.append(contract_rel(folder))
        manifest[slug] = manifest_entry(c)
    write_atomic(out / MANIFEST, manifest_text(manifest))
    _remove_stray_outputs(config, set(manifest), {
        str(v.get("slug") or k) if isinstance(v, dict) else k for k, v in manifest.items()})


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
            if (path.name.endswith(CONTRACT_SUFFIX) and path.name[: -len(CONTRACT_SUFFIX)] not in kept_contracts
                    and path.is_file()):
                path.unlink(missing_ok=True)


def _contract_text(c: CompiledTemplate) -> str:
    from kmsg_authoring.compile.contract import contract_schema

    return dumps(contract_schema(c.payload, c.slug))


# -- the build -----------------------------------------------------------------------------------
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
    # Fail closed: when the linter or the sample checks cannot run, nothing is built.
    lint_fn = _lint_function() if lint else None
    samples_fn = _samples_function()
    had_build_dir = config.build_dir.is_dir()
    cache = _Cache(config, _settings_key(config)) if use_cache else None
    manifest = _read_manifest(config) if write else {}
    env: CompileEnv | None = None

    def one(key: str, slug: str, locale: str | None) -> CompiledTemplate | None:
        """Compile (or load) and lint one template in one locale, filed in the report under key."""
        nonlocal env
        compiled = None
        if cache is not None and cache.unchanged(key, slug):
            out_key = key if key in report.variants else _output_key(config, manifest, slug)
            in_place = out_key in manifest and all(
                (config.build_dir / f"{out_key}{suffix}").is_file() for suffix in (".json", ".html")
            ) and (config.build_dir / contract_rel(slug)).is_file()
            if not load_unchanged and not lint_cached and (in_place or not write):
                report.unchanged.append(out_key)
                return None
            compiled = cache.load(key)
        fresh = compiled is None
        errors: list[KmsgError] = []
        reads: dict[str, str | None] = {}
        if compiled is None:
            env = env or CompileEnv(config)
            # The cache keys the result by the bytes these reads saw, not by the files as they are later.
            with recording_reads() as reads:
                try:
                    compiled = compile_template(config, slug, env=env, locale=locale)
                except KmsgError as exc:
                    report.failures[key] = [exc]
                    if cache is not None:
                        cache.forget(key)
                    return None
                errors.extend(samples_fn(config, compiled))
            report.rebuilt.append(key)
        report.compiled[key] = compiled
        if lint_fn is not None and (fresh or lint_cached):
            try:
                problems = list(lint_fn(compiled, config))
            except KmsgError:
                raise
            except Exception as exc:  # a check that crashed did not pass
                raise BuildError(f"the linter could not check this template ({type(exc).__name__}: {exc}); "
                                 "nothing was built", Location(compiled.meta.path)) from exc
            report.problems[key] = problems
            errors.extend(
                KmsgError(f"{p.code} {p.message}", p.location) for p in problems if p.is_error
            )
        if errors:
            report.failures[key] = errors
            if cache is not None:
                cache.forget(key)
        elif fresh and cache is not None:
            cache.store(compiled, reads, record=load_unchanged, key=key)
        return compiled

    for i, slug in enumerate(targets):
        if progress:
            progress(slug, i, len(targets))
        # The default locale first: whether the template has translatable text is known once it is
        # compiled (or from its last build's outputs when it is unchanged).
        compiled = one(slug, slug, None)
        localized = compiled.locale is not None if compiled is not None else (
            _output_key(config, manifest, slug) != slug and slug not in report.failures)
        if not localized:
            continue
        report.rekey(slug, f"{slug}.{config.default_locale}")
        report.variants[f"{slug}.{config.default_locale}"] = (slug, config.default_locale)
        for locale in config.locales:
            if locale != config.default_locale:
                report.variants[f"{slug}.{locale}"] = (slug, locale)
                one(f"{slug}.{locale}", slug, locale)
    if cache is not None:
        cache.save()
        if cache.problem:
            report.notes.append(cache.problem)
    if write:
        out = config.rel(config.build_dir)
        if had_build_dir and not config.build_dir.is_dir():
            raise BuildError(f"{out}/ was removed during the build; run the build again")
        try:
            _write_outputs(config, report, report.keys(targets), manifest)
        except OSError as exc:
            failed = Path(exc.filename) if exc.filename else config.build_dir
            # A temporary file's name means nothing to the user: name its folder.
            where = f"{config.rel(failed.parent)}/" if failed.name.endswith(".tmp") else config.rel(failed)
            raise BuildError(f"cannot write {where}: {exc.strerror or exc}") from None
    return report


def _lint_function() -> Callable[[CompiledTemplate, Config], Iterable[Problem]]:
    try:
        from kmsg_authoring.lint import lint_template
    except ImportError as exc:
        raise BuildError(f"the linter cannot run ({exc}); nothing was built. Reinstall kmsg-author") from None
    return lint_template


def _samples_function() -> Callable[[Config, CompiledTemplate], Sequence[KmsgError]]:
    try:
        from kmsg_authoring.render.samples import check_samples
    except ImportError as exc:
        raise BuildError(f"the sample checks cannot run ({exc}); nothing was built. Reinstall kmsg-author") from None
    return check_samples
