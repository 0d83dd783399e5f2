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


def no_template(config: Config, name: str) -> UsageError:
    """The error for a name that is not a template: a folder without template.yaml says so and how to fix it."""
    folder = config.src_dir / name
    src = config.rel(config.src_dir)
    if folder.is_dir() and not (folder / TEMPLATE_FILE).is_file():
        return UsageError(
            f"{config.rel(folder)}/ is not a template: it has no {TEMPLATE_FILE} (name, subject, toAttributePath "
            f"and msgParamsMap) beside its body; copy {TEMPLATE_FILE} from another template in {src}/ and edit it, "
            f"or move the folder aside and run `kmsg-author new {folder.name}`, which writes both"
        )
    known = ", ".join(discover(config.src_dir)) or "none"
    return UsageError(f"no template '{name}' in {src}/ (templates: {known})")


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
            raise no_template(config, name)
        slugs.append(slug)
    return sorted(set(slugs))


def template_doc(config: Config, slug: str) -> tuple[str, YamlDoc]:
    """(project-relative folder, template.yaml with positions) of a template, read without compiling it."""
    slugs = discover(config.src_dir)
    if slug not in slugs:
        raise no_template(config, slug)
    folder = config.rel(config.src_dir / slug)
    rel = f"{folder}/{TEMPLATE_FILE}"
    return folder, load_yaml(read_text(config.root / rel, rel, root=config.root), rel)
