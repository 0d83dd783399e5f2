"""Which remote template each template and locale is: the mapping a sending service picks `templateId` from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kmsg_authoring.publish.remote import is_managed, remote_templates

if TYPE_CHECKING:
    from kmsg_authoring.api import MessagingClient
    from kmsg_authoring.source.config import Config


@dataclass(frozen=True)
class TemplateId:
    """One template in one locale (None: not localized) and its remote id (None: not published)."""

    slug: str
    locale: str | None
    name: str
    id: str | None
    managed: bool

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready mapping."""
        return {"slug": self.slug, "locale": self.locale, "name": self.name, "id": self.id, "managed": self.managed}


def match_ids(local: Iterable[tuple[str, str | None, str]], remotes: Iterable[Mapping[str, Any]]) -> list[TemplateId]:
    """(slug, locale, name) of local builds matched by name with the remote templates."""
    by_name: dict[str, Mapping[str, Any]] = {}
    for remote in remotes:
        by_name.setdefault(str(remote.get("name", "")), remote)
    rows = []
    for slug, locale, name in local:
        found = by_name.get(name)
        rows.append(
            TemplateId(
                slug,
                locale,
                name,
                str(found["id"]) if found and "id" in found else None,
                bool(found and is_managed(found)),
            )
        )
    return sorted(rows, key=lambda r: (r.slug, r.locale or ""))


def template_ids(client: MessagingClient, config: Config, *, app_guid: str) -> list[TemplateId]:
    """Every template of the project, per locale, with the id it has in app_guid."""
    from kmsg_authoring.project.build import CHECK_ONLY, build_project

    report = build_project(config, None, CHECK_ONLY)
    local = [(c.slug, c.locale, str(c.payload.get("name", ""))) for c in report.compiled.values()]
    return match_ids(local, remote_templates(client, app_guid))


def ids_json(rows: Iterable[TemplateId]) -> dict[str, Any]:
    """{"templates": {slug: {locale or "default": id}}, "entries": [...]}: stable keys for a service."""
    rows = list(rows)
    table: dict[str, dict[str, str | None]] = {}
    for r in rows:
        table.setdefault(r.slug, {})[r.locale or "default"] = r.id
    return {"templates": table, "entries": [r.to_json() for r in rows]}
