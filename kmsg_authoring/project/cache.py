"""Compiled templates in and out of the build cache (build/.cache.sqlite), keyed by the bytes each build read."""

from __future__ import annotations

import contextlib
import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Mapping
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
CACHE_FORMAT = 8  # 8: output Jinja drops outside blocks noted; 7: the digest of the outputs each template last wrote
# Seconds a process waits for another one's write to the shared cache; past it, the cache is a miss.
BUSY_TIMEOUT = 2.0
_SQLITE_BUSY = (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED: another process holds the cache
_SQLITE_DAMAGED = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: start the file afresh


def dumps(data: Any) -> str:
    """Deterministic JSON text: the same data always gives the same bytes."""
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


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


# The settings that change neither what a template compiles to nor what its checks decide. Every other
# setting of Config is part of the cache key, so a setting added later invalidates the cache until it
# is listed here on purpose: the key fails closed.
NOT_IN_KEY: frozenset[str] = frozenset({"root", "build_dir", "environments", "snapshot"})


def settings_key(config: Config) -> str:
    """What besides the sources changes a compiled template or its findings: every setting but NOT_IN_KEY."""
    settings = [
        (f.name, _plain(getattr(config, f.name))) for f in dataclasses.fields(config) if f.name not in NOT_IN_KEY
    ]
    return digest(json.dumps([CACHE_FORMAT, __version__, settings], sort_keys=True, default=repr).encode())


def _plain(value: Any) -> Any:
    """A setting as JSON can spell it: mappings (read-only ones too) as dicts, dataclasses by field."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value if isinstance(value, (str, int, float, bool)) or value is None else repr(value)


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
            "origins": [
                [i, owner, [[n, v, w.path, w.line, w.col] for n, v, w in given]]
                for i, (owner, given) in c.source_map.origins.items()
            ],
            "dependencies": list(c.dependencies),
            "content_hash": c.content_hash,
            "number_of_tokens_used": c.number_of_tokens_used,
            "locale": c.locale,
            "translations": [t.to_json() for t in c.translations],
            "notes": [[code, message, n.path, n.line, n.col] for code, message, n in c.notes],
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
        source_map=SourceMap(
            {m[0]: Location(m[1], m[2], m[3]) for m in c["marks"]},
            {o[0]: (o[1], tuple((a[0], a[1], Location(a[2], a[3], a[4])) for a in o[2])) for o in c.get("origins", [])},
        ),
        dependencies=tuple(c["dependencies"]),
        content_hash=c["content_hash"],
        number_of_tokens_used=c["number_of_tokens_used"],
        locale=c.get("locale"),
        translations=_translations(c.get("translations") or []),
        notes=tuple((n[0], n[1], Location(n[2], n[3], n[4])) for n in c.get("notes") or []),
        unminified_bytes=c.get("unminified_bytes"),
    )


def _translations(data: list[dict[str, Any]]) -> tuple[Any, ...]:
    if not data:
        return ()
    from kmsg_authoring.compile.i18n import TranslationUse

    return tuple(TranslationUse.from_json(t) for t in data)


@dataclass(frozen=True)
class Entry:
    """What the cache knows of one template: the hashes of the bytes it was compiled from (deps, and
    deps_text as stored), its content hash, and the digest of the outputs a build last wrote from it."""

    deps: dict[str, str | None]
    content_hash: str
    deps_text: str
    outputs: Any = None


class Cache:
    """build/.cache.sqlite: each template that passed every check, by the hashes of its sources: its
    content hash, full compiled record and the digest of the outputs last written from it.

    A row is only ever written by a run that linted the template and checked its samples, so a
    template loaded from the cache has passed the same gates a fresh build would apply. A row never
    proves that build/ is current: the build compares build/ with the recorded output digest.

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
        self.index: dict[str, Entry] = {}
        self.verdicts: dict[tuple[str, str], bool] = {}  # (key, folder) -> unchanged, once per build
        # slug -> (deps, hash, record, outputs) to write, None: delete
        self.pending: dict[str, tuple[str, str, str | None, str | None] | None] = {}
        self.pending_outputs: dict[str, tuple[str, str]] = {}  # slug -> (outputs, deps of the row it describes)
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
                    "CREATE TABLE templates"
                    " (slug TEXT PRIMARY KEY, key TEXT, deps TEXT, hash TEXT, record TEXT, outputs TEXT)"
                )
                self.db.execute(f"PRAGMA user_version = {CACHE_FORMAT}")
            self.db.execute("COMMIT")
        rows = self.db.execute("SELECT slug, deps, hash, outputs FROM templates WHERE key = ?", (self.key,)).fetchall()
        self.index = {}
        self.verdicts = {}
        for slug, deps, digest_, outputs in rows:
            try:
                parsed = json.loads(deps)
                recorded = json.loads(outputs) if outputs is not None else None
            except (TypeError, ValueError):
                continue  # a damaged row is a miss
            if isinstance(parsed, dict) and isinstance(digest_, str):
                self.index[slug] = Entry(parsed, digest_, deps, recorded)

    def _close(self) -> None:
        if self.db is not None:
            with contextlib.suppress(Exception):  # closing a broken connection
                self.db.close()
        self.db = None
        self.index = {}
        self.verdicts = {}

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
        asked = (slug, folder or slug)
        if asked not in self.verdicts:
            entry = self.index.get(slug)
            # The file hashes are read once per build, so the verdict is too (the pool's count, then the step).
            self.verdicts[asked] = (
                entry is not None
                and not (set(sample_files(self.config, asked[1])) - set(entry.deps))
                and all(self.hashes(rel) == digest_ for rel, digest_ in entry.deps.items())
            )
        return self.verdicts[asked]

    def load(self, slug: str) -> CompiledTemplate | None:
        """The full compiled record of an unchanged template (None: absent, damaged or replaced meanwhile)."""
        try:
            row = self.db.execute(
                "SELECT record, hash FROM templates WHERE slug = ? AND key = ?", (slug, self.key)
            ).fetchone()
            if row is None or row[0] is None or row[1] != self.index[slug].content_hash:
                return None
            compiled = from_cache(json.loads(row[0]))
        except Exception:  # noqa: BLE001 - a damaged or busy record is recompiled
            return None
        return compiled if compiled.content_hash == self.index[slug].content_hash else None

    def outputs(self, slug: str) -> Any:
        """The digest of the outputs last written from the template's cached compile (None: none recorded)."""
        entry = self.index.get(slug)
        return entry.outputs if entry is not None else None

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
        deps_text = json.dumps(deps)
        self.pending[key] = (
            deps_text,
            compiled.content_hash,
            json.dumps(to_cache(compiled), ensure_ascii=False, check_circular=False) if record else None,
            None,
        )
        self.pending_outputs.pop(key, None)
        self.index[key] = Entry(deps, compiled.content_hash, deps_text)
        self._forget_verdicts(key)

    def record_outputs(self, slug: str, outputs: dict[str, Any]) -> None:
        """Remember the digest of the outputs just written from the template's compile in this cache: the
        row stored by this run, or the row it was loaded from (and only while that row is unchanged)."""
        entry = self.index.get(slug)
        if self.db is None or entry is None:
            return
        text = json.dumps(outputs, sort_keys=True)
        row = self.pending.get(slug)
        if row is not None:
            self.pending[slug] = (*row[:3], text)
        else:
            self.pending_outputs[slug] = (text, entry.deps_text)
        self.index[slug] = dataclasses.replace(entry, outputs=outputs)

    def forget(self, slug: str) -> None:
        """Drop a template that failed, so that it is compiled again next time."""
        self.pending_outputs.pop(slug, None)
        self._forget_verdicts(slug)
        if self.index.pop(slug, None) is not None:
            self.pending[slug] = None

    def _forget_verdicts(self, key: str) -> None:
        for asked in [asked for asked in self.verdicts if asked[0] == key]:
            del self.verdicts[asked]

    def save(self) -> None:
        """Write what this build learnt in one short transaction; a busy cache keeps its old rows."""
        import sqlite3

        if self.db is None:
            return
        try:
            if self.pending or self.pending_outputs:
                self.db.execute("BEGIN IMMEDIATE")
                for slug, row in self.pending.items():
                    if row is None:
                        self.db.execute("DELETE FROM templates WHERE slug = ?", (slug,))
                    else:
                        self.db.execute(
                            "INSERT OR REPLACE INTO templates VALUES (?, ?, ?, ?, ?, ?)", (slug, self.key, *row)
                        )
                for slug, (outputs, deps) in self.pending_outputs.items():
                    # Only the row the outputs were made from: another process may have replaced it.
                    self.db.execute(
                        "UPDATE templates SET outputs = ? WHERE slug = ? AND key = ? AND deps = ?",
                        (outputs, slug, self.key, deps),
                    )
                self.db.execute("COMMIT")
        except sqlite3.Error as exc:
            if (getattr(exc, "sqlite_errorcode", 0) & 0xFF) not in _SQLITE_BUSY:
                self.problem = f"build cache not saved: {self._describe(exc)}"
        finally:
            self._close()
