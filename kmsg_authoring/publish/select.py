"""Which local templates a publish or pull is about: template names and slugs as the user gives them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kmsg_authoring.errors import SourceError, UsageError
from kmsg_authoring.source.project import TEMPLATE_FILE, discover, is_template_dir, load_yaml, read_text

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config


def local_names(config: Config) -> dict[str, str]:
    """Template name -> slug for every template whose template.yaml reads (broken ones are the build's to report)."""
    names: dict[str, str] = {}
    for slug in discover(config.src_dir):
        rel = config.rel(config.src_dir / slug / TEMPLATE_FILE)
        try:
            doc = load_yaml(read_text(config.src_dir / slug / TEMPLATE_FILE, rel, root=config.root), rel)
        except SourceError:
            continue
        if isinstance(doc.data.get("name"), str):
            names[doc.data["name"]] = slug
    return names


def select_slugs(config: Config, wanted: Sequence[str]) -> list[str]:
    """The slugs of templates named by slug or by template name; UsageError for a name matching neither."""
    by_name: dict[str, str] | None = None
    slugs: set[str] = set()
    unknown: list[str] = []
    for item in wanted:
        if "/" not in item and is_template_dir(config.src_dir / item):
            slugs.add(item)
            continue
        by_name = local_names(config) if by_name is None else by_name
        if item in by_name:
            slugs.add(by_name[item])
        else:
            unknown.append(item)
    if unknown:
        raise UsageError(
            f"no template named or in a folder {', '.join(repr(u) for u in unknown)} under "
            f"{config.rel(config.src_dir)}/ (--only takes a template's name or its slug)"
        )
    return sorted(slugs)
