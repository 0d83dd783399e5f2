"""The sandbox's state in SQLite: one table per kind of object, each row a JSON document.

Columns beside the document hold the fields the list filters look at, so every filter and the
pager run in SQL. One connection serves every thread behind a lock; each write is its own
transaction, so what a client was told is stored is on disk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kmsg_authoring.errors import ConfigError
from kmsg_authoring.model import MESSAGE_LIST_FILTERS, TEMPLATE_LIST_FILTERS, UNSUBSCRIBE_URI_LIST_FILTERS

SCHEMA_VERSION = 1
Doc = dict[str, Any]


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 in UTC with milliseconds and Z, as the API writes it: 2026-04-09T04:56:27.940Z."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: str) -> str:
    """A filter's ISO 8601 date or time in the stored form; ValueError when it is not one."""
    moment = datetime.fromisoformat(text.strip())
    return format_timestamp(moment)


def split_tags(tags: str | None) -> set[str]:
    """The tags of a comma-separated adminTags string."""
    return {t.strip() for t in (tags or "").split(",") if t.strip()}


@dataclass(frozen=True)
class Collection:
    """A kind of stored object: its table, the columns lifted from its document, its list filters."""

    table: str
    columns: Mapping[str, str]  # column -> document field
    filters: Mapping[str, tuple[str, str]]  # filter field -> (kind of test, column or document field)


def _ranges() -> dict[str, tuple[str, str]]:
    return {
        "createdAtGreaterThanOrEqual": ("gte", "created_at"),
        "createdAtLessThanOrEqual": ("lte", "created_at"),
        "updatedAtGreaterThanOrEqual": ("gte", "updated_at"),
        "updatedAtLessThanOrEqual": ("lte", "updated_at"),
    }


TEMPLATES = Collection(
    "templates",
    {
        "app_guid": "appGuid",
        "name": "name",
        "subject": "subject",
        "status": "status",
        "admin_tags": "adminTags",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
    },
    {
        "idIn": ("in", "id"),
        "appGuidIn": ("in", "app_guid"),
        "name": ("contains", "name"),
        "nameEq": ("eq", "name"),
        "subject": ("contains", "subject"),
        "status": ("eq", "status"),
        "adminTags": ("contains", "admin_tags"),
        "adminTagsAll": ("tags_all", "admin_tags"),
        "excludeAdminTags": ("tags_none", "admin_tags"),
        **_ranges(),
    },
)
UNSUBSCRIBE_URIS = Collection(
    "unsubscribe_uris",
    {"app_guid": "appGuid", "uri": "uri", "status": "status", "created_at": "createdAt", "updated_at": "updatedAt"},
    {
        "idIn": ("in", "id"),
        "appGuidIn": ("in", "app_guid"),
        "uriIn": ("in", "uri"),
        "status": ("eq", "status"),
        "createdAtGreaterThanOrEqual": ("gte", "created_at"),
        "updatedAtGreaterThanOrEqual": ("gte", "updated_at"),
    },
)
BULK_MESSAGES = Collection(
    "bulk_messages",
    {
        "bulk_id": "bulkId",
        "template_id": "templateId",
        "app_guid": "appGuid",
        "session": "session",
        "status": "status",
        "receiver_type": "receiverType",
        "type": "type",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
    },
    {
        "idIn": ("in", "id"),
        "bulkIdIn": ("in", "bulk_id"),
        "templateIdIn": ("in", "template_id"),
        "appGuidIn": ("in", "app_guid"),
        "sessionIn": ("in", "session"),
        "statusIn": ("in", "status"),
        "receiverTypeIn": ("in", "receiver_type"),
        "typeIn": ("in", "type"),
        "groupIds": ("doc_any", "groupIds"),
        "userIds": ("doc_any", "userIds"),
        **_ranges(),
    },
)
DISCRETE_MESSAGES = Collection(
    "discrete_messages",
    {
        "bulk_id": "bulkId",
        "session": "session",
        "status": "status",
        "user_id": "userId",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
    },
    {"bulkIdIn": ("in", "bulk_id"), "sessionIn": ("in", "session"), "statusIn": ("in", "status")},
)
USERS = Collection("users", {}, {"idIn": ("in", "id"), "groupIds": ("doc_any", "groupIds")})
COLLECTIONS = (TEMPLATES, UNSUBSCRIBE_URIS, BULK_MESSAGES, DISCRETE_MESSAGES, USERS)

# The filters the guide lists are exactly the ones the store implements.
if set(TEMPLATES.filters) != set(TEMPLATE_LIST_FILTERS):
    raise RuntimeError("the template filters disagree with the API guide's list")
if set(UNSUBSCRIBE_URIS.filters) != set(UNSUBSCRIBE_URI_LIST_FILTERS):
    raise RuntimeError("the unsubscribe URI filters disagree with the API guide's list")
if set(BULK_MESSAGES.filters) != set(MESSAGE_LIST_FILTERS):
    raise RuntimeError("the message filters disagree with the API guide's list")


class BadFilter(ValueError):
    """A filter value the store cannot use (an unreadable date)."""


def _contains(haystack: str | None, needle: str) -> bool:
    return needle.casefold() in (haystack or "").casefold()


def _tags_all(tags: str | None, wanted: str) -> bool:
    return split_tags(wanted) <= split_tags(tags)


def _tags_any(tags: str | None, unwanted: str) -> bool:
    return bool(split_tags(unwanted) & split_tags(tags))


class Store:
    """Thread-safe access to the sandbox database."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        if not self.path.parent.is_dir():
            raise ConfigError(f"{self.path}: the folder {self.path.parent} does not exist")
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
            self._setup()
        except sqlite3.DatabaseError as exc:
            raise ConfigError(f"{self.path}: not a usable sandbox database ({exc})") from None

    def _setup(self) -> None:
        db = self._db
        version = db.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if version not in (0, SCHEMA_VERSION) or (version == 0 and tables):
            raise ConfigError(f"{self.path}: not a sandbox database (or one of another version)")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.create_function("kmsg_contains", 2, _contains, deterministic=True)
        db.create_function("kmsg_tags_all", 2, _tags_all, deterministic=True)
        db.create_function("kmsg_tags_any", 2, _tags_any, deterministic=True)
        with self.transaction():
            for coll in COLLECTIONS:
                extra = "".join(f", {col} TEXT" for col in coll.columns)
                db.execute(
                    f"CREATE TABLE IF NOT EXISTS {coll.table} (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                    f"id TEXT NOT NULL, partner_id INTEGER NOT NULL{extra}, doc TEXT NOT NULL, "
                    "UNIQUE (partner_id, id))"
                )
                for col in coll.columns:
                    db.execute(f"CREATE INDEX IF NOT EXISTS {coll.table}_{col} ON {coll.table} (partner_id, {col})")
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit of work; nests (inner blocks join the outer transaction)."""
        with self._lock:
            if self._db.in_transaction:
                yield
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- documents ---------------------------------------------------------------------------

    def insert(self, coll: Collection, partner: int, doc: Doc) -> None:
        """Store a new document (doc["id"] must be new for the partner)."""
        self._write(coll, partner, doc, "INSERT")

    def replace(self, coll: Collection, partner: int, doc: Doc) -> None:
        """Store a document over the one with the same id (or as a new one)."""
        self._write(coll, partner, doc, "INSERT OR REPLACE")

    def _write(self, coll: Collection, partner: int, doc: Doc, verb: str) -> None:
        cols = ["id", "partner_id", *coll.columns, "doc"]
        values = [
            str(doc["id"]),
            partner,
            *(_column_value(doc.get(f)) for f in coll.columns.values()),
            json.dumps(doc, ensure_ascii=False),
        ]
        with self.transaction():
            if verb == "INSERT OR REPLACE":
                # Keep the row's position (seq), so a list's order does not change on update.
                assignments = ", ".join(f"{c} = ?" for c in cols[2:])
                found = self._db.execute(
                    f"UPDATE {coll.table} SET {assignments} WHERE partner_id = ? AND id = ?",
                    [*values[2:], partner, values[0]],
                )
                if found.rowcount:
                    return
            self._db.execute(
                f"INSERT INTO {coll.table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", values
            )

    def get(self, coll: Collection, partner: int, object_id: str) -> Doc | None:
        """The document with this id in the partner's objects, or None."""
        with self._lock:
            row = self._db.execute(
                f"SELECT doc FROM {coll.table} WHERE partner_id = ? AND id = ?", (partner, object_id)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def remove(self, coll: Collection, partner: int, object_id: str) -> bool:
        """Delete a document for good; whether there was one."""
        with self.transaction():
            cur = self._db.execute(f"DELETE FROM {coll.table} WHERE partner_id = ? AND id = ?", (partner, object_id))
        return cur.rowcount > 0

    def exists(self, coll: Collection, column: str, value: str) -> bool:
        """Whether any document of any partner has this column value (for unique generated ids)."""
        with self._lock:
            return (
                self._db.execute(f"SELECT 1 FROM {coll.table} WHERE {column} = ? LIMIT 1", (value,)).fetchone()
                is not None
            )

    def query(
        self,
        coll: Collection,
        partner: int,
        filters: Mapping[str, Any] | None,
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[list[Doc], int]:
        """One page of the partner's documents matching the filters, oldest first, and the total count."""
        where, params = self._where(coll, partner, filters or {})
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM {coll.table} WHERE {where}", params).fetchone()[0]
            rows = self._db.execute(
                f"SELECT doc FROM {coll.table} WHERE {where} ORDER BY seq LIMIT ? OFFSET ?",
                [*params, -1 if limit is None else limit, offset],
            ).fetchall()
        return [json.loads(r[0]) for r in rows], int(total)

    def _where(self, coll: Collection, partner: int, filters: Mapping[str, Any]) -> tuple[str, list[Any]]:
        clauses: list[str] = ["partner_id = ?"]
        params: list[Any] = [partner]
        for name, value in filters.items():
            if value is None:
                continue
            kind, target = coll.filters[name]
            sql, convert = _FILTER_SQL[kind]
            try:
                params.append(convert(value))
            except ValueError:
                raise BadFilter(f"filter.{name} is not an ISO 8601 date ({value!r})") from None
            clauses.append(sql.format(target=target))
        return " AND ".join(clauses), params

    # -- messages ----------------------------------------------------------------------------

    def pending(self, coll: Collection, before: str) -> list[tuple[int, Doc]]:
        """(partner, document) of every object still 'sending' and created at or before a time."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT partner_id, doc FROM {coll.table} WHERE status = 'sending' AND created_at <= ?", (before,)
            ).fetchall()
        return [(int(p), json.loads(d)) for p, d in rows]

    def count_by_status(self, coll: Collection, partner: int, column: str, value: str) -> dict[str, int]:
        """How many of the partner's documents with column == value have each status."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT status, COUNT(*) FROM {coll.table} WHERE partner_id = ? AND {column} = ? GROUP BY status",
                (partner, value),
            ).fetchall()
        return {str(s): int(n) for s, n in rows}

    def newest(self, coll: Collection, offset: int, limit: int) -> tuple[list[Doc], int]:
        """Documents of every partner, newest first, and how many there are."""
        with self._lock:
            total = self._db.execute(f"SELECT COUNT(*) FROM {coll.table}").fetchone()[0]
            rows = self._db.execute(
                f"SELECT doc FROM {coll.table} ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, offset)
            ).fetchall()
        return [json.loads(r[0]) for r in rows], int(total)

    def find(self, coll: Collection, object_id: str) -> Doc | None:
        """The document with this id, whichever partner it belongs to."""
        with self._lock:
            row = self._db.execute(f"SELECT doc FROM {coll.table} WHERE id = ?", (object_id,)).fetchone()
        return json.loads(row[0]) if row else None


def _same(value: Any) -> Any:
    return value


def _json_list(value: Any) -> str:
    return json.dumps(list(value))


# Kind of filter -> SQL test of a column (or, for doc_any, of a list in the document) and how the
# filter value becomes its parameter.
_FILTER_SQL: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "in": ("{target} IN (SELECT value FROM json_each(?))", _json_list),
    "eq": ("{target} = ?", _same),
    "contains": ("kmsg_contains({target}, ?)", _same),
    "gte": ("{target} >= ?", parse_timestamp),
    "lte": ("{target} <= ?", parse_timestamp),
    "tags_all": ("kmsg_tags_all({target}, ?)", _same),
    "tags_none": ("NOT kmsg_tags_any({target}, ?)", _same),
    "doc_any": (
        ("EXISTS (SELECT 1 FROM json_each(doc, '$.{target}') AS v WHERE v.value IN (SELECT value FROM json_each(?)))"),
        _json_list,
    ),
}


def _column_value(value: Any) -> Any:
    return value if value is None or isinstance(value, (str, int, float)) else json.dumps(value)
