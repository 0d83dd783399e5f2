"""Which templates the user means: template slugs, folders and files as commands take them, read without compiling."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from kmsg_authoring.errors import UsageError
from kmsg_authoring.source.project import (
    TEMPLATE_FILE,
    YamlDoc,
    discover,
    is_template_dir,
    load_yaml,
    read_text,
    slug_for_path,
)

if TYPE_CHECKING:
    from kmsg_authoring.source.config import Config


def resolve_slugs(config: Config, names: Iterable[str] | None) -> list[str]:
    """Slugs from names given by the user (slugs, template folders or files inside one)."""
    if not names:
        return discover(config.src_dir)
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


def template_doc(config: Config, slug: str) -> tuple[str, YamlDoc]:
    """(project-relative folder, template.yaml with positions) of a template, read without compiling it."""
    slugs = discover(config.src_dir)
    if slug not in slugs:
        known = ", ".join(slugs) or "none"
        raise UsageError(f"no template '{slug}' in {config.rel(config.src_dir)}/ (templates: {known})")
    folder = config.rel(config.src_dir / slug)
    rel = f"{folder}/{TEMPLATE_FILE}"
    return folder, load_yaml(read_text(config.root / rel, rel, root=config.root), rel)
