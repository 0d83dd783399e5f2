"""Remote templates as the publisher sees them: stored fields normalised, the publish record, the lookups.

A template the toolkit publishes carries two adminTags entries: `model.MANAGED_TAG`, so that nothing
else is ever touched, and a publish record `kmsg-author-sha:<digest per field>`, a short digest of every
stored field as it was published. A managed remote template whose fields no longer match its record was
edited elsewhere (drift).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from kmsg_authoring.model import ADD_FIELDS, DEFAULT_STATUS, FIELD_TYPES, MANAGED_TAG, UPDATE_FIELDS, TemplateStatus
from kmsg_authoring.source.project import digest as content_digest

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient

# The fields the API stores for a template and the toolkit compares (appGuid is the match key).
COMPARED_FIELDS: tuple[str, ...] = tuple(f for f in ADD_FIELDS if f != "appGuid")
# Fields email-template/update cannot change (section 5.3).
NOT_UPDATABLE: tuple[str, ...] = tuple(f for f in COMPARED_FIELDS if f not in UPDATE_FIELDS)
RECORD_PREFIX = "kmsg-author-sha:"
DIGEST_LEN = 6


def split_tags(value: Any) -> list[str]:
    """The entries of an adminTags string."""
    if not isinstance(value, str):
        return []
    return [t.strip() for t in value.split(",") if t.strip()]


def is_own_tag(tag: str) -> bool:
    """A tag the toolkit manages itself (the managed mark or the publish record)."""
    return tag == MANAGED_TAG or tag.startswith(RECORD_PREFIX)


def normalize(fields: Mapping[str, Any]) -> dict[str, Any]:
    """The compared fields of a template, local or remote, in one canonical shape.

    Absent, null and empty are the same; the status defaults to enabled; adminTags are the designer's
    own tags, sorted, without the toolkit's.
    """
    out: dict[str, Any] = {}
    for name in COMPARED_FIELDS:
        value = fields.get(name)
        if FIELD_TYPES[name] == "object":
            value = {} if value in (None, "") else value
        elif FIELD_TYPES[name] == "string[]":
            value = [] if value in (None, "") else list(value) if isinstance(value, (list, tuple)) else value
        elif name == "adminTags":
            value = ",".join(sorted({t for t in split_tags(value) if not is_own_tag(t)}))
        elif name == "status":
            value = value or DEFAULT_STATUS
        elif value is None:
            value = ""
        out[name] = value
    return out


def digest(value: Any) -> str:
    """The short digest of one stored field's value, as the publish record holds it."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return content_digest(text.encode("utf-8"))[:DIGEST_LEN]


def record_tag(norm: Mapping[str, Any]) -> str:
    """The publish record of normalised fields: one short digest per compared field."""
    return RECORD_PREFIX + "".join(digest(norm[f]) for f in COMPARED_FIELDS)


def parse_record(admin_tags: Any) -> dict[str, str] | None:
    """Field -> digest from the publish record in an adminTags string (None without a valid one)."""
    for tag in split_tags(admin_tags):
        if tag.startswith(RECORD_PREFIX):
            digests = tag[len(RECORD_PREFIX) :]
            if len(digests) == DIGEST_LEN * len(COMPARED_FIELDS):
                return {f: digests[i * DIGEST_LEN : (i + 1) * DIGEST_LEN] for i, f in enumerate(COMPARED_FIELDS)}
    return None


def tags_for(norm: Mapping[str, Any]) -> str:
    """The adminTags to store: the designer's tags, the managed mark and the publish record."""
    return ",".join([*split_tags(norm["adminTags"]), MANAGED_TAG, record_tag(norm)])


def is_managed(remote: Mapping[str, Any]) -> bool:
    """Whether a remote template carries the managed mark."""
    return MANAGED_TAG in split_tags(remote.get("adminTags"))


def is_live(remote: Mapping[str, Any]) -> bool:
    """Whether a remote template exists for the toolkit (deleted ones stay listed with status deleted)."""
    return remote.get("status") != TemplateStatus.DELETED


def created_first(remote: Mapping[str, Any]) -> tuple[str, str]:
    """Sort key putting the copy created first in front; every publisher orders copies the same way."""
    return str(remote.get("createdAt") or ""), str(remote.get("id"))


def remote_templates(client: MessagingClient, app_guid: str) -> list[dict[str, Any]]:
    """Every template of app_guid that is not deleted (one paged list)."""
    return [r for r in client.list_templates(appGuidIn=[app_guid]) if isinstance(r, dict) and is_live(r)]


def find_live(client: MessagingClient, app_guid: str, name: str, *, retry: bool = True) -> list[dict[str, Any]]:
    """The live templates named name in app_guid: managed ones first, each group the copy created first.

    retry=False makes one attempt per page, for a lookup made inside the client's own retry loop.
    """
    found = client.list_templates(appGuidIn=[app_guid], nameEq=name, retry=retry)
    live = [r for r in found if isinstance(r, dict) and is_live(r) and r.get("name") == name]
    return sorted(live, key=lambda r: (not is_managed(r), *created_first(r)))
