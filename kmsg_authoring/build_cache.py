"""Compiled templates in and out of the build cache (build/.cache.sqlite), keyed by the bytes each build read."""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from kmsg_authoring import __version__
from kmsg_authoring.compile.types import CompiledTemplate, SourceMap, TokenRef
from kmsg_authoring.source.config import Config
from kmsg_authoring.errors import Location, SourceError
from kmsg_authoring.source.project import (
    SAMPLES_DIR,
    YamlDoc,
    confine,
    digest,
    read_bytes,
)

CACHE_FILE = ".cache.sqlite"
CACHE_FORMAT = 5  # 5: document frame kept, canonical tokens, keyed by the bytes read
# Seconds a process waits for another one's write to the shared cache; past it, the cache is a miss.
BUSY_TIMEOUT = 2.0
_SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: another process holds the cache
_SQLITE_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: start the file afresh


def dumps(data: Any) -> str:
    """Deterministic JSON text: the same data always gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def sha(data: bytes) -> str:
    """The SHA-256 hex digest of bytes."""
    return hashlib.sha256(data).hexdigest()


class Hashes:
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


def settings_key(config: Config) -> str:
    """What besides the sources changes a compiled template."""
    return sha(
        dumps(
            [
                CACHE_FORMAT,
                __version__,
                config.inliner,
                config.remote_stylesheets,
                config.minify,
                dict(config.brand),
                dict(config.lint),
                str(config.src_dir),
                config.render_time_limit,
                config.render_size_limit,
                repr(config.mjml),
                *_i18n_settings(config),
            ]
        ).encode()
    )


def _i18n_settings(config: Config) -> list[Any]:
    """[i18n] settings, only when set: a project without them keeps the cache it had."""
    return [list(config.locales), config.default_locale, config.suffix_default_locale] if config.locales else []


def sample_files(config: Config, slug: str) -> list[str]:
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


def to_cache(c: CompiledTemplate) -> dict[str, Any]:
    """A compiled template as the JSON the cache stores."""
    return {
        "compiled": {
            "slug": c.slug,
            "folder": c.folder,
            "payload": c.payload,
            "tokens": [t.to_json() for t in c.tokens],
            "meta": {
                "path": c.meta.path,
                "data": c.meta.data,
                "positions": [[list(k), list(v)] for k, v in c.meta.positions.items()],
            },
            "settings": c.settings,
            "marked_body": c.marked_body,
            "rendered": c.rendered,
            "marks": [[i, m.path, m.line, m.col] for i, m in c.source_map.marks.items()],
            "dependencies": list(c.dependencies),
            "content_hash": c.content_hash,
            "number_of_tokens_used": c.number_of_tokens_used,
            "locale": c.locale,
            "translations": [t.to_json() for t in c.translations],
            "unminified_bytes": c.unminified_bytes,
        },
    }


def from_cache(data: dict[str, Any]) -> CompiledTemplate:
    """A compiled template back from the JSON the cache stores."""
    c = data["compiled"]
    meta = c["meta"]
    return CompiledTemplate(
        slug=c["slug"],
        folder=c["folder"],
        payload=c["payload"],
        tokens=tuple(TokenRef.from_json(t) for t in c["tokens"]),
        meta=YamlDoc(meta["path"], meta["data"], {tuple(k): (v[0], v[1]) for k, v in meta["positions"]}),
        settings=c["settings"],
        marked_body=c["marked_body"],
        rendered=c["rendered"],
        source_map=SourceMap({m[0]: Location(m[1], m[2], m[3]) for m in c["marks"]}),
        dependencies=tuple(c["dependencies"]),
        content_hash=c["content_hash"],
        number_of_tokens_used=c["number_of_tokens_used"],
        locale=c.get("locale"),
        translations=_translations(c.get("translations") or []),
        unminified_bytes=c.get("unminified_bytes"),
    )


def _translations(data: list[dict[str, Any]]) -> tuple[Any, ...]:
    if not data:
        return ()
    from kmsg_authoring.compile.i18n import TranslationUse

    return tuple(TranslationUse.from_json(t) for t in data)


class Cache:
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
        self.hashes = Hashes(config.root)
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
                    "CREATE TABLE templates (slug TEXT PRIMARY KEY, key TEXT, deps TEXT, hash TEXT, record TEXT)"
                )
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
        if set(sample_files(self.config, slug)) - set(deps):
            return False
        return all(self.hashes(rel) == digest_ for rel, digest_ in deps.items())

    def load(self, slug: str) -> CompiledTemplate | None:
        """The full compiled record of an unchanged template (None: absent, damaged or replaced meanwhile)."""
        try:
            row = self.db.execute(
                "SELECT record, hash FROM templates WHERE slug = ? AND key = ?", (slug, self.key)
            ).fetchone()
            if row is None or row[1] != self.index[slug][1]:
                return None
            compiled = from_cache(json.loads(row[0]))
        except Exception:  # noqa: BLE001 - a damaged or busy record is recompiled
            return None
        return compiled if compiled.content_hash == self.index[slug][1] else None

    def store(
        self, compiled: CompiledTemplate, reads: dict[str, str | None], *, record: bool = True, key: str | None = None
    ) -> None:
        """Remember a clean template by the hashes of the bytes it was compiled from (reads), and (with
        record) the compiled template itself.

        The build command only needs to know what is unchanged; the full record serves callers that
        load unchanged templates (lint, preview) and costs as much to write as a third of a compile.
        """
        if self.db is None:
            return
        key = key or compiled.slug
        deps = {rel: self.hashes(rel) for rel in sample_files(self.config, compiled.slug)}
        deps.update(reads)
        self.pending[key] = (
            json.dumps(deps),
            compiled.content_hash,
            json.dumps(to_cache(compiled), ensure_ascii=False, check_circular=False) if record else None,
        )
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
                        self.db.execute(
                            "INSERT OR REPLACE INTO templates VALUES (?, ?, ?, ?, ?)", (slug, self.key, *row)
                        )
                self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _SQLITE_BUSY:
                self.problem = f"build cache not saved: {self._describe(exc)}"
        finally:
            self._close()
